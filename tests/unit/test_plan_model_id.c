/* test_plan_model_id.c: sizes and modality read from model ids. Pins the
 * seed 003 defects: substring matching read "13B" as "3B", "0.5B" as "5B",
 * "11B" as "1B", and let unknown sizes pass as "small". */
#include "harness/hr_test.h"

#include "headroom/hr_plan.h"

typedef struct id_case {
    const char *id;
    int64_t params; /* 0: unknown */
    int multimodal;
    int experts;
} id_case;

#define ENC_V 700000000LL
#define ENC_A 650000000LL

static const id_case cases[] = {
    {"Qwen/Qwen2.5-3B-Instruct", 3000000000LL, 0, 0},
    {"Qwen/Qwen2.5-1.5B-Instruct", 1500000000LL, 0, 0},
    {"Qwen/Qwen2.5-0.5B-Instruct", 500000000LL, 0, 0},          /* seed: medium via "5B" */
    {"meta-llama/Llama-2-13b-hf", 13000000000LL, 0, 0},         /* seed: also "3B" */
    {"Qwen/Qwen2.5-Omni-3B", 3000000000LL + ENC_V + ENC_A, 1, 0},
    {"Qwen/Qwen2.5-Omni-7B", 7000000000LL + ENC_V + ENC_A, 1, 0},
    {"Qwen/Qwen2-VL-7B-Instruct", 7000000000LL + ENC_V, 1, 0},
    {"meta-llama/Llama-3.2-11B-Vision-Instruct", 11000000000LL + ENC_V, 1, 0}, /* seed: "1B" */
    {"google/gemma-3-270m", 270000000LL, 0, 0},
    {"mistralai/Mixtral-8x7B-Instruct-v0.1", 56000000000LL, 0, 8},
    {"meta-llama/Llama-3.1-8B", 8000000000LL, 0, 0},            /* "3.1" is a version */
    {"TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", 1100000000LL, 0, 0},
    {"Qwen/Qwen3-30B-A3B", 30000000000LL, 0, 0},               /* A3B = active, not a size */
    {"Qwen/Qwen1.5-MoE-A2.7B", 0, 0, 0},
    {"gpt2", 0, 0, 0},
    {"HuggingFaceTB/SmolVLM-Instruct", 0, 1, 0},
    {"llava-hf/llava-1.5-7b-hf", 7000000000LL + ENC_V, 1, 0},
};

static void test_plan_id_sizes_are_whole_tokens(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hr_plan_model_facts f;
        hr_plan_model_facts_init(&f);
        hr_plan_error e = {{0}};
        if (hr_plan_model_facts_from_id(&f, cases[i].id, &e) != HR_OK)
            fail_msg("%s: %s", cases[i].id, e.why);
        if (cases[i].params == 0) {
            if (HR_IS_KNOWN(f.params))
                fail_msg("%s: read %lld, want unknown", cases[i].id, (long long)f.params.v);
        } else if (!HR_IS_KNOWN(f.params) || f.params.v != cases[i].params) {
            fail_msg("%s: read %lld, want %lld", cases[i].id, (long long)f.params.v,
                     (long long)cases[i].params);
        }
        if (f.multimodal != cases[i].multimodal)
            fail_msg("%s: multimodal %d, want %d", cases[i].id, f.multimodal, cases[i].multimodal);
        assert_int_equal(f.moe_experts, cases[i].experts);
        assert_string_equal(f.name, cases[i].id);
    }
}

static void test_plan_id_two_sizes_are_ambiguous(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    hr_plan_error e = {{0}};
    assert_int_equal(hr_plan_model_facts_from_id(&f, "org/merge-7B-13B", &e), HR_EINVAL);
    assert_non_null(strstr(e.why, "7B"));
    assert_non_null(strstr(e.why, "13B"));
    assert_non_null(strstr(e.hint, "--params"));
    /* The same size twice is not ambiguous. */
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_from_id(&f, "org/7B-chat-7b", &e), HR_OK);
    assert_known(f.params, 7000000000LL);
}

static void test_plan_id_reasons_say_where_from(void **state) {
    (void)state;
    hr_plan_model_facts f;
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_from_id(&f, "Qwen/Qwen2.5-Omni-3B", NULL), HR_OK);
    assert_non_null(strstr(f.params_source, "3B"));
    assert_non_null(strstr(f.multimodal_reason, "omni"));
    assert_non_null(strstr(f.multimodal_reason, "audio"));
    hr_plan_model_facts_init(&f);
    assert_int_equal(hr_plan_model_facts_from_id(&f, "mistralai/Mixtral-8x7B-v0.1", NULL), HR_OK);
    assert_non_null(strstr(f.params_source, "upper bound"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_id_sizes_are_whole_tokens),
        cmocka_unit_test(test_plan_id_two_sizes_are_ambiguous),
        cmocka_unit_test(test_plan_id_reasons_say_where_from),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

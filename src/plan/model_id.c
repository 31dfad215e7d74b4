/* model_id.c: what a model id says about a model: its parameter count, read
 * as a whole size token (seed 003 matched substrings, so "13B" was also
 * "3B" and "0.5B" was "5B"), and whether it is multimodal. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plan/plan_internal.h"

/* Encoders that a multimodal model carries beyond the language model the
 * name counts: Qwen2.5-VL's vision encoder has 675M parameters (Qwen2.5-Omni
 * technical report), a Whisper-large-v3-class audio encoder about 635M. */
#define VISION_ENCODER_PARAMS 700000000LL
#define AUDIO_ENCODER_PARAMS 650000000LL

void hr_plan_model_facts_init(hr_plan_model_facts *f) {
    memset(f, 0, sizeof *f);
    f->size = sizeof *f;
    hr_reading none = {0, HR_WHY_ABSENT, 0};
    f->params = none;
    f->unquantized_params = none;
    f->checkpoint_bytes = none;
    f->layers = none;
    f->kv_heads = none;
    f->head_dim = none;
    f->max_context_tokens = none;
    f->checkpoint_dtype = HR_DTYPE_UNKNOWN;
}

/* A size token starts after a non-alphanumeric character other than '.'
 * (a digit after '.' belongs to a decimal such as "2.5"). */
static int token_start(const char *id, size_t i) {
    if (i == 0)
        return 1;
    char c = id[i - 1];
    return !isalnum((unsigned char)c) && c != '.';
}

/* Reads "N[.N][xN[.N]](B|M)" at S ending a token; its length into *LEN. */
static size_t size_token(const char *s) {
    size_t i = 0;
    for (int part = 0; part < 2; part++) {
        size_t start = i;
        while (isdigit((unsigned char)s[i]))
            i++;
        if (i == start)
            return 0;
        if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
            i++;
            while (isdigit((unsigned char)s[i]))
                i++;
        }
        if (part == 0 && (s[i] == 'x' || s[i] == 'X') && isdigit((unsigned char)s[i + 1]))
            i++;
        else
            break;
    }
    if (s[i] != 'B' && s[i] != 'b' && s[i] != 'M' && s[i] != 'm')
        return 0;
    i++;
    if (isalnum((unsigned char)s[i]))
        return 0;
    return i;
}

/* Finds the size tokens of ID. Returns the number found (0..2) and the
 * first two as text. */
static int find_sizes(const char *id, char first[32], char second[32]) {
    int found = 0;
    for (size_t i = 0; id[i]; i++) {
        if (!isdigit((unsigned char)id[i]) || !token_start(id, i))
            continue;
        size_t n = size_token(id + i);
        if (n == 0 || n >= 32)
            continue;
        char tok[32];
        memcpy(tok, id + i, n);
        tok[n] = '\0';
        if (found == 0) {
            hr__strlcpy(first, tok, 32);
            found = 1;
        } else if (!hr__plan_ieq(first, tok)) {
            hr__strlcpy(second, tok, 32);
            return 2;
        }
        i += n - 1;
    }
    return found;
}

static const char *const mm_words[] = {"omni", "vision", "llava", "pixtral", "idefics",
                                       "paligemma", "vlm", "internvl", "minicpm-v", "minicpm-o"};

/* 1 when ID names a multimodal model; the matched word into WORD. */
static int multimodal_word(const char *id, char word[16]) {
    for (size_t i = 0; i < sizeof mm_words / sizeof mm_words[0]; i++) {
        if (hr__plan_icontains(id, mm_words[i])) {
            hr__strlcpy(word, mm_words[i], 16);
            return 1;
        }
    }
    /* "VL" only as a whole token: Qwen2-VL-7B, Qwen2.5-VL. */
    for (size_t i = 0; id[i] && id[i + 1]; i++) {
        if ((id[i] == 'V' || id[i] == 'v') && (id[i + 1] == 'L' || id[i + 1] == 'l') &&
            (i == 0 || !isalnum((unsigned char)id[i - 1])) && !isalnum((unsigned char)id[i + 2])) {
            hr__strlcpy(word, "VL", 16);
            return 1;
        }
    }
    return 0;
}

static void add_encoders(hr_plan_model_facts *f, const char *word) {
    int omni = strcmp(word, "omni") == 0 || strcmp(word, "minicpm-o") == 0;
    int64_t extra = VISION_ENCODER_PARAMS + (omni ? AUDIO_ENCODER_PARAMS : 0);
    f->params.v += extra;
    hr__snprintf(f->multimodal_reason, sizeof f->multimodal_reason,
                 "id contains '%s'; +%.2fB for the %s the name does not count%s", word,
                 (double)extra / 1e9, omni ? "vision and audio encoders" : "vision encoder",
                 omni ? " (a speech talker is not counted)" : "");
}

hr_status hr_plan_model_facts_from_id(hr_plan_model_facts *f, const char *id, hr_plan_error *err) {
    if (!f || !id)
        return HR_EINVAL;
    hr__strlcpy(f->name, id, sizeof f->name);
    char first[32] = "", second[32] = "", word[16] = "";
    int n = find_sizes(id, first, second);
    if (n == 2)
        return hr__plan_fail(err, HR_EINVAL, "--model-id",
                             "give the size with --params, or read it with --model-dir",
                             "'%s' names two sizes (%s and %s)", id, first, second);
    int mm = multimodal_word(id, word);
    f->multimodal = mm;
    if (n == 0) {
        if (mm)
            hr__snprintf(f->multimodal_reason, sizeof f->multimodal_reason, "id contains '%s'", word);
        return HR_OK;
    }
    int64_t params = 0;
    if (hr_plan_parse_params(first, &params, NULL) != HR_OK)
        return hr__plan_fail(err, HR_EINVAL, "--model-id", "give the size with --params",
                             "'%s' in '%s' is not a usable size", first, id);
    f->params = hr__known(params);
    const char *x = strpbrk(first, "xX");
    f->moe_experts = x ? (int32_t)strtol(first, NULL, 10) : 0;
    hr__snprintf(f->params_source, sizeof f->params_source, "model id: %s%s", first,
                 x ? " read as experts x size, an upper bound (experts share attention layers)"
                   : "");
    if (mm)
        add_encoders(f, word);
    return HR_OK;
}

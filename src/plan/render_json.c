/* render_json.c: the documented JSON of plans (docs/PLANNER.md). Base
 * units: bytes and pixels. An unknown reading is absent from its object
 * and listed in that object's "unknown" map with its reason, as in the
 * probe's JSON. Pure. */
#include <jansson.h>
#include <string.h>

#include "plan/plan_internal.h"

static void put_reading(json_t *o, json_t *unknown, const char *key, hr_reading r) {
    if (HR_IS_KNOWN(r))
        json_object_set_new(o, key, json_integer(r.v));
    else
        json_object_set_new(unknown, key, json_string(hr_why_name(r.why)));
}

static json_t *tri(int v) { return v == HR_PLAN_UNKNOWN ? json_null() : json_boolean(v); }

static json_t *strings(const char (*s)[HR_PLAN_REASON_CAP], size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(s[i]));
    return a;
}

static json_t *device_json(const hr_plan_device *d) {
    json_t *unknown = json_object();
    json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:o,s:s,s:s}", "kind",
                          hr_plan_device_kind_name(d->kind), "torch_device", d->torch_device,
                          "name", d->name, "assumed", d->assumed, "unified_memory",
                          d->unified_memory, "bf16", tri(d->bf16), "bf16_reason", d->bf16_reason,
                          "budget_source", d->budget_source);
    put_reading(o, unknown, "total_bytes", d->total_bytes);
    put_reading(o, unknown, "ceiling_bytes", d->ceiling_bytes);
    put_reading(o, unknown, "budget_bytes", d->budget_bytes);
    put_reading(o, unknown, "host_available_bytes", d->host_available_bytes);
    put_reading(o, unknown, "pressure_level", d->pressure_level);
    json_t *gpus = json_array();
    for (int i = 0; i < d->ngpus && i < HR_PLAN_MAX_GPUS; i++)
        json_array_append_new(gpus, HR_IS_KNOWN(d->gpu_budget_bytes[i])
                                        ? json_integer(d->gpu_budget_bytes[i].v) : json_null());
    json_object_set_new(o, "gpu_budget_bytes", gpus);
    json_object_set_new(o, "unknown", unknown);
    return o;
}

static json_t *facts_json(const hr_plan_model_facts *f) {
    json_t *unknown = json_object();
    json_t *o = json_pack("{s:s,s:s,s:b,s:s,s:i,s:s,s:i}", "name", f->name, "params_source",
                          f->params_source, "multimodal", f->multimodal, "multimodal_reason",
                          f->multimodal_reason, "moe_experts", f->moe_experts, "checkpoint_dtype",
                          hr_plan_dtype_name(f->checkpoint_dtype), "tensors", f->tensors);
    put_reading(o, unknown, "params", f->params);
    put_reading(o, unknown, "unquantized_params", f->unquantized_params);
    put_reading(o, unknown, "checkpoint_bytes", f->checkpoint_bytes);
    put_reading(o, unknown, "layers", f->layers);
    put_reading(o, unknown, "kv_heads", f->kv_heads);
    put_reading(o, unknown, "head_dim", f->head_dim);
    put_reading(o, unknown, "max_context_tokens", f->max_context_tokens);
    json_object_set_new(o, "unknown", unknown);
    return o;
}

static const char *quant_name(int q) {
    return q == HR_QUANT_BNB_INT8 ? "bnb_int8" : q == HR_QUANT_BNB_NF4 ? "bnb_nf4" : "none";
}

static json_t *model_memory(const hr_plan_model_result *r) {
    json_t *items = json_array();
    for (size_t i = 0; i < r->nitems; i++)
        json_array_append_new(items, json_pack("{s:s,s:I,s:s}", "name", r->items[i].name, "bytes",
                                               (json_int_t)r->items[i].bytes, "reason",
                                               r->items[i].reason));
    int known = r->verdict != HR_VERDICT_UNKNOWN_BUDGET;
    return json_pack("{s:I,s:o,s:o,s:i,s:o}", "need_bytes", (json_int_t)r->need_bytes,
                     "budget_bytes", known ? json_integer(r->budget_bytes) : json_null(),
                     "usable_bytes", known ? json_integer(r->usable_bytes) : json_null(),
                     "margin_pct", r->opts.margin_pct, "items", items);
}

static json_t *model_decision(const hr_plan_model_result *r) {
    json_t *gpus = json_array();
    for (int i = 0; r->verdict == HR_VERDICT_SPLIT && i < HR_PLAN_MAX_GPUS && i < r->device.ngpus; i++)
        json_array_append_new(gpus, json_integer(r->per_gpu_bytes[i]));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:I,s:{s:s,s:s,s:s}}", "device",
                     hr_plan_device_kind_name(r->device_kind), "torch_device", r->torch_device,
                     "device_map", r->device_map, "dtype", hr_plan_dtype_name(r->dtype),
                     "quantization", quant_name(r->quant), "gpus_used", r->gpus_used,
                     "per_gpu_bytes", gpus, "offload_bytes", (json_int_t)r->offload_bytes,
                     "reasons", "device", r->device_reason, "dtype", r->dtype_reason,
                     "quantization", r->quant_reason);
}

static json_t *model_lists(const hr_plan_model_result *r, json_t **fallbacks) {
    json_t *opts = json_array();
    for (size_t i = 0; i < r->noptions; i++) {
        const hr_plan_option *o = &r->options[i];
        json_array_append_new(opts, json_pack("{s:s,s:s,s:b,s:b,s:I,s:I,s:s}", "dtype",
                                              hr_plan_dtype_name(o->dtype), "quantization",
                                              quant_name(o->quant), "available", o->available,
                                              "fits", o->fits, "weights_bytes",
                                              (json_int_t)o->weights_bytes, "total_bytes",
                                              (json_int_t)o->total_bytes, "note", o->note));
    }
    *fallbacks = json_array();
    for (size_t i = 0; i < r->nfallbacks; i++) {
        const hr_plan_fallback *f = &r->fallbacks[i];
        json_array_append_new(*fallbacks, json_pack("{s:s,s:s,s:o,s:s}", "when", f->when, "action",
                                                    f->action, "need_bytes",
                                                    f->need_bytes < 0 ? json_null()
                                                                      : json_integer(f->need_bytes),
                                                    "reason", f->reason));
    }
    return opts;
}

static hr_status dump(json_t *o, int indent, char **out) {
    *out = o ? json_dumps(o, JSON_INDENT(indent < 0 ? 0 : indent)) : NULL;
    json_decref(o);
    return *out ? HR_OK : HR_ENOMEM;
}

hr_status hr_plan_model_to_json(const hr_plan_model_result *r, int indent, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    json_t *fallbacks = NULL;
    json_t *opts = model_lists(r, &fallbacks);
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:{s:I,s:i,s:s,s:b,s:i},s:o,s:o,s:o,s:o,s:o}", "schema",
                          "headroom.plan.model/1", "verdict", hr_plan_verdict_name(r->verdict),
                          "verdict_reason", r->verdict_reason, "device", device_json(&r->device),
                          "model", facts_json(&r->model), "inputs", "context_tokens",
                          (json_int_t)r->opts.context_tokens, "batch", r->opts.batch, "dtype",
                          hr_plan_dtype_name(r->opts.dtype), "allow_quantization",
                          r->opts.allow_quantization, "margin_pct", r->opts.margin_pct, "decision", model_decision(r), "memory",
                          model_memory(r), "options", opts, "fallbacks", fallbacks, "notes",
                          strings(r->notes, r->nnotes));
    return dump(o, indent, out);
}

static const char *size_action_name(int a) {
    return a == HR_SIZE_SCALED ? "scaled" : a == HR_SIZE_TILED ? "tiled" : "kept";
}

static json_t *savers_json(const hr_plan_diffusion_result *r) {
    json_t *a = json_array();
    for (size_t i = 0; i < r->nsavers; i++) {
        const hr_plan_saver *s = &r->savers[i];
        json_array_append_new(a, json_pack("{s:s,s:b,s:b,s:s,s:s}", "name", s->name, "on", s->on,
                                           "effective", s->effective, "origin", s->origin,
                                           "reason", s->reason));
    }
    return a;
}

static json_t *config_json(const hr_plan_dconf *conf, int explain) {
    if (!conf)
        return json_null();
    json_t *layers = json_array();
    for (size_t i = 0; i < hr_plan_dconf_explain_count(conf); i++)
        json_array_append_new(layers, json_string(hr_plan_dconf_explain_line(conf, i)));
    json_t *o = json_pack("{s:o}", "layers", layers);
    char *settings = NULL;
    if (explain && hr_plan_dconf_to_json(conf, 0, &settings) == HR_OK) {
        json_object_set_new(o, "settings", json_loads(settings, 0, NULL));
        hr_free(settings);
    }
    return o;
}

static json_t *diffusion_body(const hr_plan_diffusion_result *r) {
    int known = r->level != HR_LEVEL_UNKNOWN;
    return json_pack("{s:{s:s,s:s,s:I,s:I},s:{s:[ii],s:o,s:o,s:s,s:s},s:{s:s,s:s},s:{s:i,s:i,s:s},"
                     "s:{s:o,s:o}}",
                     "level", "name", hr_plan_level_name(r->level), "reason", r->level_reason,
                     "budget_bytes", (json_int_t)r->budget_bytes, "usable_bytes",
                     (json_int_t)r->usable_bytes,
                     "size", "requested", r->req_w_px, r->req_h_px, "max",
                     known ? json_pack("[ii]", r->max_w_px, r->max_h_px) : json_null(), "planned",
                     known ? json_pack("[ii]", r->out_w_px, r->out_h_px) : json_null(), "action",
                     known ? size_action_name(r->size_action) : "unknown", "reason", r->size_reason,
                     "dtype", "name", hr_plan_dtype_name(r->dtype), "reason", r->dtype_reason,
                     "tiles", "tile_px", r->tile_px, "overlap_px", r->tile_overlap_px, "reason",
                     r->tile_reason,
                     "memory", "weights_bytes",
                     r->weights_bytes > 0 ? json_integer(r->weights_bytes) : json_null(),
                     "peak_bytes", r->peak_bytes > 0 ? json_integer(r->peak_bytes) : json_null());
}

hr_status hr_plan_diffusion_to_json(const hr_plan_diffusion_result *r, const hr_plan_dconf *conf,
                                    int explain, int indent, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:{s:i,s:i,s:s,s:s}}", "schema",
                          "headroom.plan.diffusion/1", "verdict", hr_plan_verdict_name(r->verdict),
                          "verdict_reason", r->verdict_reason, "device", device_json(&r->device),
                          "request", "width_px", r->req.width_px, "height_px", r->req.height_px,
                          "pipeline", hr_plan_pipeline_name(r->req.pipeline), "config_device",
                          hr_plan_device_kind_name(r->config_device));
    json_t *body = diffusion_body(r);
    if (o && body)
        json_object_update(o, body);
    json_decref(body);
    if (o) {
        json_object_set_new(o, "savers", savers_json(r));
        json_object_set_new(o, "cleanup", strings(r->cleanup, r->ncleanup));
        json_object_set_new(o, "notes", strings(r->notes, r->nnotes));
        json_object_set_new(o, "config", config_json(conf, explain));
    }
    return dump(o, indent, out);
}

hr_status hr_plan_cache_to_json(const hr_plan_cache_result *r, int indent, char **out) {
    if (!r || !out)
        return HR_EINVAL;
    const hr_plan_cache_req *q = &r->req;
    int known = r->placement != HR_PLACE_UNKNOWN;
    json_t *o = json_pack(
        "{s:s,s:o,s:{s:I,s:i,s:i,s:i,s:s,s:I,s:I},s:I,s:I,s:s,s:s,s:s,s:s,s:o,s:o,s:o,"
        "s:{s:o,s:o,s:s},s:o}",
        "schema", "headroom.plan.cache/1", "device", device_json(&r->device), "request", "count",
        (json_int_t)q->count, "channels", q->channels, "height_px", q->height_px, "width_px",
        q->width_px, "dtype", hr_plan_dtype_name(q->dtype), "model_bytes",
        (json_int_t)q->model_bytes, "per_sample_bytes", (json_int_t)q->per_sample_bytes,
        "cache_bytes", (json_int_t)r->cache_bytes, "half_bytes", (json_int_t)r->half_bytes,
        "size_reason", r->size_reason, "placement", hr_plan_placement_name(r->placement),
        "placement_dtype", hr_plan_dtype_name(r->dtype), "placement_reason", r->placement_reason,
        "budget_bytes", known ? json_integer(r->budget_bytes) : json_null(), "usable_bytes",
        known ? json_integer(r->usable_bytes) : json_null(), "host_usable_bytes",
        known && r->host_usable_bytes >= 0 ? json_integer(r->host_usable_bytes) : json_null(),
        "batch", "max", r->batch_max >= 0 ? json_integer(r->batch_max) : json_null(),
        "recommended", r->batch >= 0 ? json_integer(r->batch) : json_null(), "reason",
        r->batch_reason, "notes", strings(r->notes, r->nnotes));
    return dump(o, indent, out);
}

"""apply_diffusers on duck-typed pipelines: the savers the plan turns on are
called where the pipeline has them, reported unavailable where it does not,
and offload comes last."""

import importlib.util
import unittest

from support import headroom


class Recorder:
    def __init__(self, log, prefix):
        self._log, self._prefix = log, prefix

    def method(self, name):
        def call(*args):
            self._log.append((self._prefix + name,) + args)
        return call


class FakeVae:
    def __init__(self, log):
        self.tile_sample_min_size = 1024
        self.tile_latent_min_size = 128
        r = Recorder(log, "vae.")
        self.enable_tiling = r.method("enable_tiling")
        self.enable_slicing = r.method("enable_slicing")


class FakeUnet:
    def __init__(self, log):
        self.set_attn_processor = Recorder(log, "unet.").method("set_attn_processor")


class FullPipeline:
    """Every method a StableDiffusionXLPipeline has for these savers."""

    def __init__(self):
        self.log = []
        self.vae = FakeVae(self.log)
        self.unet = FakeUnet(self.log)
        r = Recorder(self.log, "")
        for name in ("enable_vae_tiling", "enable_vae_slicing", "enable_attention_slicing",
                     "enable_model_cpu_offload", "enable_sequential_cpu_offload",
                     "enable_xformers_memory_efficient_attention"):
            setattr(self, name, r.method(name))


class BarePipeline:
    """A pipeline with a VAE that can tile, and nothing else."""

    def __init__(self):
        self.log = []
        self.vae = FakeVae(self.log)


class ApplyDiffusers(unittest.TestCase):
    def sdxl_on_small_mac(self):
        return headroom.plan_diffusion("2048x2048", model="sdxl", assume_device="mps",
                                       assume_memory="16G", env={})

    def test_full_pipeline_gets_every_saver_the_plan_enables(self):
        plan = self.sdxl_on_small_mac()
        pipe = FullPipeline()
        marker = object()
        res = headroom.apply_diffusers(pipe, plan, attn_processor=marker)
        self.assertIsInstance(res, headroom.AppliedSavers)
        self.assertEqual(res.unavailable, {})
        wanted = {s.name for s in plan.savers if s.on and s.effective}
        calls = {"enable_vae_tiling", "enable_vae_slicing", "enable_attention_slicing",
                 "enable_model_cpu_offload", "enable_sequential_cpu_offload",
                 "enable_xformers_memory_efficient_attention", "enable_memory_efficient_attention",
                 "enable_attention_processor", "reduce_vae_sample_size"}
        self.assertEqual(set(res.applied), wanted & calls)
        self.assertIn("enable_attention_slicing", res.applied)
        self.assertIn(("enable_attention_slicing",), pipe.log)
        self.assertIn(("enable_vae_tiling",), pipe.log)
        # SDPA once, with the processor given, for both SDPA savers.
        self.assertEqual([c for c in pipe.log if c[0] == "unet.set_attn_processor"],
                         [("unet.set_attn_processor", marker)])
        # SDXL on MPS: 512 px VAE tiles.
        self.assertEqual(pipe.vae.tile_sample_min_size, plan.tile_px)
        self.assertEqual(pipe.vae.tile_sample_min_size, 512)
        self.assertEqual(pipe.vae.tile_latent_min_size, 64)
        # Not pipeline calls, or off: skipped with the plan's reason.
        self.assertIn("cleanup_before_loading", res.skipped)
        self.assertIn("enable_model_offload", res.skipped)
        for name, why in res.skipped.items():
            self.assertTrue(why)
        self.assertEqual(set(res.applied) | set(res.skipped) | set(res.unavailable),
                         {s.name for s in plan.savers})

    def test_offload_is_applied_last(self):
        plan = headroom.plan_diffusion("1024x1024", model="sdxl", assume_device="cuda",
                                       assume_memory="6G", env={})
        self.assertTrue(any(s.on and s.effective for s in plan.savers
                            if s.name in ("enable_model_cpu_offload",
                                          "enable_sequential_cpu_offload")))
        pipe = FullPipeline()
        res = headroom.apply_diffusers(pipe, plan, attn_processor="sdpa")
        names = [c[0] for c in pipe.log]
        offload = [i for i, n in enumerate(names) if "offload" in n]
        self.assertTrue(offload)
        self.assertEqual(offload[-1], len(names) - 1)
        self.assertTrue(all(i > j for i in offload for j, n in enumerate(names)
                            if "offload" not in n))
        self.assertEqual(res.applied[-1], names[-1])

    def test_bare_pipeline_reports_what_it_lacks(self):
        plan = self.sdxl_on_small_mac()
        pipe = BarePipeline()
        res = headroom.apply_diffusers(pipe, plan, attn_processor="sdpa")
        self.assertIn("enable_vae_tiling", res.applied)  # through pipe.vae.enable_tiling()
        self.assertIn(("vae.enable_tiling",), pipe.log)
        self.assertIn("enable_attention_slicing", res.unavailable)
        self.assertIn("enable_attention_slicing()", res.unavailable["enable_attention_slicing"])
        self.assertIn("enable_attention_processor", res.unavailable)

    def test_a_refusing_method_is_reported_and_the_rest_applies(self):
        plan = self.sdxl_on_small_mac()
        pipe = FullPipeline()

        def refuse():
            raise RuntimeError("accelerate is not installed")
        pipe.enable_attention_slicing = refuse
        res = headroom.apply_diffusers(pipe, plan, attn_processor="sdpa")
        self.assertIn("accelerate is not installed", res.unavailable["enable_attention_slicing"])
        self.assertIn("enable_vae_tiling", res.applied)

    def test_without_diffusers_sdpa_is_unavailable(self):
        if importlib.util.find_spec("diffusers") is not None:
            self.skipTest("diffusers is installed")
        plan = self.sdxl_on_small_mac()
        res = headroom.apply_diffusers(FullPipeline(), plan)
        self.assertIn("AttnProcessor2_0", res.unavailable["enable_attention_processor"])


if __name__ == "__main__":
    unittest.main()

"""plan_model / plan_diffusion / plan_cache / torch_device against the real
planner: the binding gives the same decisions as `headroom plan` for the
same inputs, with reasons, and refuses bad input with the planner's detail."""

import json
import subprocess
import sys
import types
import unittest

import support
from support import headroom

GiB = 1 << 30


def cli_json(*args):
    exe = support.cli()
    if exe is None:
        raise unittest.SkipTest("headroom CLI not built")
    r = subprocess.run([exe, "plan"] + list(args) + ["--json"], capture_output=True, text=True,
                       timeout=60, env=support.child_env(HEADROOM_CONFIG=None, LD_PRELOAD=None,
                                                         DIFFUSIONAPI_MEMORY_CONFIG=None))
    if r.returncode not in (0, 1):
        raise AssertionError("headroom plan failed: %s" % r.stderr)
    return json.loads(r.stdout)


class PlanModel(unittest.TestCase):
    def test_7b_on_assumed_24g_cuda_same_as_cli(self):
        p = headroom.plan_model(params="7B", assume_device="cuda", assume_memory="24G")
        j = cli_json("model", "--params", "7B", "--assume-device", "cuda",
                     "--assume-memory", "24G")
        self.assertTrue(p.fits)
        self.assertEqual(p.verdict, j["verdict"])
        self.assertEqual(p.verdict_reason, j["verdict_reason"])
        self.assertEqual(p.dtype, j["decision"]["dtype"])
        self.assertEqual(p.quantization, j["decision"]["quantization"])
        self.assertEqual(p.torch_device, "cuda:0")
        self.assertEqual(p.need_bytes, j["memory"]["need_bytes"])
        self.assertEqual(p.budget_bytes, 24 * GiB)
        self.assertEqual([(i.name, i.bytes) for i in p.items],
                         [(i["name"], i["bytes"]) for i in j["memory"]["items"]])
        self.assertEqual([(o.dtype, o.fits) for o in p.options],
                         [(o["dtype"], o["fits"]) for o in j["options"]])
        self.assertEqual(p.device.kind, "cuda")
        self.assertTrue(p.device.assumed)
        self.assertIsNone(p.device.bf16)  # unknown for an assumed GPU, not False
        self.assertIn("fits", p.text)
        self.assertEqual(p.json["verdict"], p.verdict)
        for reason in (p.verdict_reason, p.device_reason, p.dtype_reason,
                       p.quantization_reason):
            self.assertTrue(reason)

    def test_70b_on_24g_needs_quantization_or_more(self):
        p = headroom.plan_model(params="70B", assume_device="cuda", assume_memory="24G",
                                assume_gpus=1)
        self.assertNotEqual(p.verdict, "fits")
        self.assertTrue(p.fallbacks or p.verdict == "no_fit")
        q = headroom.plan_model(params="70B", assume_device="cuda", assume_memory="80G",
                                assume_gpus=2)
        self.assertEqual(q.verdict, "split")
        self.assertEqual(q.gpus_used, 2)
        self.assertEqual(len(q.per_gpu_bytes), 2)

    def test_model_id_and_int_params(self):
        p = headroom.plan_model(model="Qwen/Qwen2.5-3B-Instruct", assume_device="mps",
                                assume_memory="16G")
        self.assertEqual(p.params, 3000000000)
        self.assertEqual(p.torch_device, "mps")
        self.assertEqual(p.dtype, "fp16")
        q = headroom.plan_model(params=3000000000, assume_device="mps", assume_memory="16G")
        self.assertEqual(q.need_bytes, p.need_bytes)

    def test_bad_inputs_carry_the_planner_detail(self):
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.plan_model(params="7Q", assume_device="cuda", assume_memory="24G")
        self.assertIn("params", cm.exception.detail)
        self.assertIn("7Q", cm.exception.detail)
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.plan_model(params="7B", assume_device="tpu", assume_memory="24G")
        self.assertIn("assume_device", cm.exception.detail)
        with self.assertRaises(ValueError):
            headroom.plan_model(params="7B", assume_memory="24G")  # memory without a device
        with self.assertRaises(ValueError):
            headroom.plan_model(assume_device="cuda", assume_memory="24G")  # no model
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.plan_model(params="7B", dtype="int4", assume_device="mps",
                                assume_memory="16G")
        self.assertTrue(cm.exception.detail)

    def test_parse_bytes(self):
        self.assertEqual(headroom.parse_bytes("16G"), 16 * GiB)
        self.assertEqual(headroom.parse_bytes("16GB"), 16 * 10 ** 9)
        self.assertEqual(headroom.parse_bytes(12345), 12345)
        for bad in ("0", "-1G", "16Q", "1.5"):
            with self.subTest(bad=bad), self.assertRaises(headroom.HeadroomError_InvalidArgument):
                headroom.parse_bytes(bad)
        with self.assertRaises(ValueError):
            headroom.parse_bytes(0)

    def test_probed_device_on_a_fixture(self):
        p = headroom.plan_model(params="1B", root=support.fixture("linux/laptop"),
                                nvml_library=support.NO_NVML)
        self.assertEqual(p.device.kind, "cpu")
        self.assertFalse(p.device.assumed)
        self.assertEqual(p.torch_device, "cpu")
        self.assertGreater(p.device.budget_bytes, 0)


class PlanDiffusion(unittest.TestCase):
    def test_sdxl_2048_on_16g_mac_same_as_cli(self):
        d = headroom.plan_diffusion("2048x2048", model="sdxl", assume_device="mps",
                                    assume_memory="16G", env={})
        j = cli_json("diffusion", "--size", "2048x2048", "--model", "sdxl",
                     "--assume-device", "mps", "--assume-memory", "16G")
        self.assertEqual(d.verdict, j["verdict"])
        self.assertEqual(d.level, j["level"]["name"])
        self.assertEqual(list(d.size), j["size"]["planned"])
        self.assertEqual(d.size_action, j["size"]["action"])
        self.assertEqual(d.size, (1024, 1024))
        self.assertEqual(d.requested_size, (2048, 2048))
        self.assertEqual(d.pipeline, "sdxl")
        self.assertEqual([(s.name, s.on, s.effective, s.origin, s.reason) for s in d.savers],
                         [(s["name"], s["on"], s["effective"], s["origin"], s["reason"])
                          for s in j["savers"]])
        self.assertIn("reduce_vae_sample_size", d.enabled_savers)
        self.assertEqual(d.tile_px, 512)
        self.assertIsNotNone(d.weights_bytes)
        self.assertTrue(d.explain)

    def test_unknown_pipeline_has_no_weights_figure(self):
        d = headroom.plan_diffusion(1024, assume_device="cuda", assume_memory="8G", env={})
        self.assertIsNone(d.weights_bytes)
        self.assertIsNone(d.peak_bytes)
        self.assertEqual(d.pipeline, "unknown")

    def test_layers_env_and_flags(self):
        base = headroom.plan_diffusion("1024x1024", assume_device="cuda", assume_memory="24G",
                                       env={})
        self.assertFalse(base.saver("enable_attention_slicing").on)
        forced = headroom.plan_diffusion("1024x1024", assume_device="cuda",
                                         assume_memory="24G", env={},
                                         enable=["enable_attention_slicing"])
        s = forced.saver("enable_attention_slicing")
        self.assertTrue(s.on)
        self.assertIn("enable", s.origin)
        capped = headroom.plan_diffusion("1024x1024", assume_device="cuda",
                                         assume_memory="24G",
                                         env={"HEADROOM_MAX_IMAGE_SIZE": "512x512"})
        self.assertEqual(capped.max_size, (512, 512))
        self.assertNotEqual(capped.size, (1024, 1024))
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.plan_diffusion("1024x1024", assume_device="cuda", assume_memory="24G",
                                    env={"HEADROOM_ENABLE_VAE_TILING": "maybe"})
        self.assertIn("HEADROOM_ENABLE_VAE_TILING", cm.exception.detail)
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            headroom.plan_diffusion("1024x1024", assume_device="cuda", assume_memory="24G",
                                    env={}, settings={"no_such.key": 1})
        self.assertIn("no_such.key", cm.exception.detail)

    def test_config_file(self):
        d = support.tempdir(self)
        cfg = d / "memory.json"
        cfg.write_text(json.dumps({"optimizations": {"enable_attention_slicing": True}}))
        p = headroom.plan_diffusion("1024x1024", assume_device="cuda", assume_memory="24G",
                                    config=str(cfg), env={})
        self.assertTrue(p.saver("enable_attention_slicing").on)
        bad = d / "bad.json"
        bad.write_text('{"optimizations": {"enable_vae_tiling": "yes"')
        with self.assertRaises(headroom.HeadroomError) as cm:
            headroom.plan_diffusion("1024x1024", assume_device="cuda", assume_memory="24G",
                                    config=str(bad), env={})
        self.assertIn("bad.json", cm.exception.detail)


class PlanCache(unittest.TestCase):
    def test_5000_at_384_same_as_cli(self):
        c = headroom.plan_cache(5000, 384, model_bytes="1.6G", per_sample_bytes="50M",
                                assume_device="cuda", assume_memory="16G")
        j = cli_json("cache", "--count", "5000", "--size", "384", "--model-mem", "1.6G",
                     "--per-sample-mem", "50M", "--assume-device", "cuda", "--assume-memory",
                     "16G")
        self.assertEqual(c.cache_bytes, 5000 * 3 * 384 * 384 * 4)
        self.assertEqual(c.cache_bytes, j["cache_bytes"])
        self.assertEqual(c.placement, j["placement"])
        self.assertEqual(c.usable_bytes, j["usable_bytes"])
        self.assertIsNone(c.host_usable_bytes)  # an assumed GPU box has no known RAM
        self.assertGreater(c.batch, 0)
        self.assertTrue(c.batch_reason)

    def test_no_per_sample_memory_means_no_batch(self):
        c = headroom.plan_cache(500, (224, 224), assume_device="cpu", assume_memory="8G")
        self.assertIsNone(c.batch)
        self.assertIsNone(c.batch_max)
        self.assertEqual(c.cache_bytes, 500 * 3 * 224 * 224 * 4)


class FakeTorch(types.ModuleType):
    """Just enough of torch for torch_device(check_torch=True)."""

    def __init__(self, cuda=False, bf16=True, mps=False):
        super().__init__("torch")
        self.float32, self.float16, self.bfloat16 = "f32", "f16", "bf16"
        self.cuda = types.SimpleNamespace(is_available=lambda: cuda,
                                          device_count=lambda: 1 if cuda else 0,
                                          is_bf16_supported=lambda: bf16)
        self.backends = types.SimpleNamespace(
            mps=types.SimpleNamespace(is_available=lambda: mps))


class TorchDevice(unittest.TestCase):
    def test_no_torch_import_unless_asked(self):
        r = support.run_python("import sys, headroom\n"
                               "print(headroom.torch_device())\n"
                               "print('torch' in sys.modules)\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.strip().endswith("False"), r.stdout)

    def test_planner_choices(self):
        self.assertEqual(headroom.torch_device(root=support.fixture("linux/laptop"),
                                               nvml_library=support.NO_NVML),
                         ("cpu", "float32"))
        mps = headroom.torch_device(assume_device="mps", assume_memory="16G")
        self.assertEqual(mps, ("mps", "float16"))
        self.assertTrue(mps.dtype_reason)
        device, dtype = headroom.torch_device(assume_device="cuda", assume_memory="24G")
        self.assertEqual(device, "cuda:0")
        self.assertIn(dtype, ("float16", "bfloat16"))

    def test_h100_gets_bf16(self):
        support.need_fake_nvml(self)
        with support.environ(FAKE_NVML_SCENARIO=str(support.FIXTURES / "nvml" / "h100.json")):
            choice = headroom.torch_device(root=support.fixture("linux/sensorless-vm"),
                                           nvml_library=str(support.FAKE_NVML))
        self.assertEqual(choice, ("cuda:0", "bfloat16"))
        self.assertIn("H100", choice.dtype_reason)

    def test_check_torch_with_a_torch_that_has_no_cuda(self):
        saved = sys.modules.get("torch")
        sys.modules["torch"] = FakeTorch(cuda=False)
        try:
            choice = headroom.torch_device(check_torch=True, assume_device="cuda",
                                           assume_memory="24G")
            self.assertEqual(choice, ("cpu", "float32"))
            self.assertTrue(choice.verified)
            self.assertIn("torch", choice.reason)
            sys.modules["torch"] = FakeTorch(cuda=True, bf16=False)
            support_h100 = support.FAKE_NVML.exists()
            if support_h100:
                with support.environ(FAKE_NVML_SCENARIO=str(support.FIXTURES / "nvml" /
                                                            "h100.json")):
                    c = headroom.torch_device(check_torch=True,
                                              root=support.fixture("linux/sensorless-vm"),
                                              nvml_library=str(support.FAKE_NVML))
                self.assertEqual(c, ("cuda:0", "float16"))
                self.assertEqual(c.torch_dtype(), "f16")
            sys.modules["torch"] = FakeTorch(mps=False)
            m = headroom.torch_device(check_torch=True, assume_device="mps",
                                      assume_memory="16G")
            self.assertEqual(m, ("cpu", "float32"))
        finally:
            if saved is None:
                sys.modules.pop("torch", None)
            else:
                sys.modules["torch"] = saved

    def test_real_torch(self):
        try:
            import torch
        except ImportError:
            self.skipTest("Debian python3-torch is not installed")
        choice = headroom.torch_device(check_torch=True)
        self.assertTrue(choice.verified)
        t = torch.zeros(2, device=choice.device, dtype=choice.torch_dtype())
        self.assertEqual(str(t.dtype), "torch." + choice.dtype)


if __name__ == "__main__":
    unittest.main()

"""headroom.probe(): dataclasses that say exactly what the library's own JSON
says, on every fixture tree and with the fake NVML; unknown is None with its
reason, never 0."""

import dataclasses
import json
import math
import unittest

import support
from support import headroom


def _flat(dc, skip=()):
    return {f.name: getattr(dc, f.name) for f in dataclasses.fields(dc)
            if f.name not in ("unknown",) + tuple(skip)}


class SameAsLibraryJson(unittest.TestCase):
    """The conversion in _probe.py against probe_json.c, field by field."""

    def compare(self, dc, obj, skip=(), where=""):
        values = _flat(dc, skip)
        unknown_json = {k: v["reason"] for k, v in obj.get("unknown", {}).items()}
        for key, value in values.items():
            if isinstance(value, (list, dict)) or dataclasses.is_dataclass(value):
                continue
            ctx = "%s.%s" % (where, key)
            if key in unknown_json:
                self.assertIsNone(value, ctx)
                self.assertEqual(dc.unknown.get(key), unknown_json[key], ctx)
            elif key in obj:
                if isinstance(obj[key], float):
                    self.assertTrue(math.isclose(value, obj[key], rel_tol=1e-9,
                                                 abs_tol=1e-9), "%s: %r != %r"
                                    % (ctx, value, obj[key]))
                else:
                    self.assertEqual(value, obj[key], ctx)
            else:
                # Left out of the JSON: an unread string, or a field the JSON omits.
                self.assertIsNone(value, ctx)
        for key in unknown_json:
            if "." not in key and key in values:
                self.assertIn(key, dc.unknown, where)
        # Never a made-up zero for an unknown value.
        for key in dc.unknown:
            if key in values:
                self.assertIsNone(values[key], "%s.%s" % (where, key))

    def check_probe(self, live):
        p = live.read()
        j = json.loads(live.json_text())
        self.compare(p.host, j["host"], where="host")
        self.compare(p.cpu, j["cpu"], where="cpu")
        self.compare(p.memory, j["memory"], where="memory")
        for name, psi in p.memory.psi.items():
            self.compare(psi, j["memory"]["psi"][name], where="psi." + name)
        self.assertEqual(len(p.cores), len(j["cores"]))
        for i, (c, cj) in enumerate(zip(p.cores, j["cores"])):
            self.compare(c, cj, where="cores[%d]" % i)
        self.assertEqual(len(p.sensors), len(j["sensors"]))
        for i, (s, sj) in enumerate(zip(p.sensors, j["sensors"])):
            renamed = {k.rsplit("_", 1)[0]: v for k, v in sj.items()
                       if k.startswith(("value_", "max_", "crit_"))}
            renamed["unknown"] = {k.rsplit("_", 1)[0]: v
                                  for k, v in sj.get("unknown", {}).items()}
            for key in ("chip", "label", "device", "kind"):
                if key in sj:
                    renamed[key] = sj[key]
            suffix = [k for k in list(sj) + list(sj.get("unknown", {}))
                      if k.startswith("value_")][0].split("_", 1)[1]
            self.assertEqual(s.unit, suffix)
            self.compare(s, renamed, skip=("unit",), where="sensors[%d]" % i)
        self.assertEqual(len(p.zones), len(j["thermal_zones"]))
        for z, zj in zip(p.zones, j["thermal_zones"]):
            self.compare(z, zj, where="zone " + z.name)
            self.assertEqual(len(z.trips), len(zj["trips"]))
            for t, tj in zip(z.trips, zj["trips"]):
                self.compare(t, tj, where="trip")
        self.assertEqual(len(p.rapl), len(j["rapl"]))
        for d, dj in zip(p.rapl, j["rapl"]):
            self.compare(d, dj, where="rapl " + str(d.name))
        self.assertEqual(len(p.gpus), len(j["gpus"]))
        for g, gj in zip(p.gpus, j["gpus"]):
            self.compare(g, gj, where="gpu%d" % g.index)
            self.assertEqual(g.throttle_reasons, gj.get("throttle_reasons"))
            tt = gj["throttle_seconds_total"]
            for name, v in g.throttle_seconds_total.items():
                self.assertTrue(math.isclose(v, tt[name], rel_tol=1e-9, abs_tol=1e-9),
                                "throttle %s: %r != %r" % (name, v, tt[name]))
            for name, why in tt.get("unknown", {}).items():
                self.assertEqual(g.unknown["throttle_seconds_total." + name], why["reason"])
        self.compare(p.accelerator, j["accelerator"], where="accelerator")
        self.assertEqual([s.name for s in p.sources], [s["name"] for s in j["sources"]])
        for s, sj in zip(p.sources, j["sources"]):
            self.assertEqual(s.state, sj["state"])
            self.assertEqual(s.reason, sj.get("reason"))
            self.assertEqual(s.detail, sj.get("detail"))
        self.assertEqual(p.root, j.get("root"))
        # The JSON writes reals with 10 significant digits (docs/PROBE.md):
        # after 10^4 s of uptime that is less than a microsecond.
        mono = j["time"]["monotonic_seconds"]
        self.assertAlmostEqual(p.time_monotonic_seconds, mono, delta=abs(mono) * 1e-9 + 1e-9)
        return p

    def test_every_linux_fixture(self):
        names = support.linux_fixtures()
        self.assertIn("laptop", names)
        for name in names:
            with self.subTest(fixture=name):
                with headroom.LiveProbe(support.fixture("linux/" + name), support.NO_NVML) as live:
                    self.check_probe(live)
                    live.refresh()
                    self.check_probe(live)

    def test_fake_nvml_scenarios(self):
        support.need_fake_nvml(self)
        for scenario in ("h100", "two-gpus", "no-permission", "old-driver", "lost-midrun"):
            path = support.FIXTURES / "nvml" / (scenario + ".json")
            if not path.exists():
                continue
            nvml = support.FAKE_NVML
            if scenario == "old-driver":
                nvml = nvml.parent / "old-driver" / nvml.name
            with self.subTest(scenario=scenario), \
                    support.environ(FAKE_NVML_SCENARIO=str(path)):
                with headroom.LiveProbe(support.fixture("linux/sensorless-vm"),
                                        str(nvml)) as live:
                    p = self.check_probe(live)
                    self.assertGreaterEqual(len(p.gpus), 1)
                    live.refresh()
                    self.check_probe(live)


class ProbeApi(unittest.TestCase):
    def test_laptop_values(self):
        p = headroom.probe(root=support.fixture("linux/laptop"), nvml_library=support.NO_NVML,
                           interval=0.05)
        self.assertIsInstance(p, headroom.Probe)
        self.assertEqual(p.host.os, "linux")
        self.assertEqual(p.host.hostname, "laptop")
        self.assertEqual(p.host.cpus_logical, len(p.cores))
        self.assertAlmostEqual(p.cpu.temperature_celsius, 67.0)
        self.assertAlmostEqual(p.cpu.temperature_critical_celsius, 100.0)
        self.assertEqual(p.accelerator.torch_device, "cpu")
        self.assertEqual(p.gpus, [])
        self.assertTrue(p.root.endswith("linux/laptop"))
        # No Apple P/E cores on Linux: unknown with a reason, not 0.
        self.assertIsNone(p.host.cores_performance)
        self.assertEqual(p.host.unknown["cores_performance"], "not_applicable")
        d = p.to_dict()
        self.assertEqual(d["host"]["hostname"], "laptop")

    def test_no_interval_leaves_rates_unknown(self):
        p = headroom.probe(root=support.fixture("linux/laptop"), nvml_library=support.NO_NVML,
                           interval=0)
        self.assertIsNone(p.cpu.utilization_ratio)
        self.assertEqual(p.cpu.unknown["utilization_ratio"], "needs_interval")
        with self.assertRaises(ValueError):
            headroom.probe(interval=-1)

    def test_h100(self):
        support.need_fake_nvml(self)
        with support.environ(FAKE_NVML_SCENARIO=str(support.FIXTURES / "nvml" / "h100.json")):
            p = headroom.probe(root=support.fixture("linux/sensorless-vm"),
                               nvml_library=str(support.FAKE_NVML), interval=0.01)
        self.assertEqual(len(p.gpus), 1)
        g = p.gpus[0]
        self.assertEqual(g.vendor, "nvidia")
        self.assertEqual(g.name, "NVIDIA H100 80GB HBM3")
        self.assertEqual(g.memory_total_bytes, 85520809984)
        self.assertAlmostEqual(g.temperature_slowdown_celsius, 89.0)
        self.assertIn("sw_thermal_slowdown", g.throttle_reasons)
        self.assertEqual(g.throttle_reasons_mask & 0x20, 0x20)
        # SXM boards have no fan: unknown, never 0 %.
        self.assertIsNone(g.fan_ratio)
        self.assertIn("fan_ratio", g.unknown)
        self.assertEqual(p.accelerator.kind, "cuda")
        self.assertEqual(p.accelerator.torch_device, "cuda:0")

    def test_live_machine(self):
        p = headroom.probe(interval=0.05)
        self.assertGreater(p.host.cpus_logical or 0, 0)
        self.assertGreater(p.memory.total_bytes or 0, 0)
        for c in p.cores:
            if c.utilization_ratio is not None:
                self.assertGreaterEqual(c.utilization_ratio, 0.0)
                self.assertLessEqual(c.utilization_ratio, 1.0)


if __name__ == "__main__":
    unittest.main()

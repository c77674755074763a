#!/usr/bin/env python3
"""Tests the Home Assistant add-on: its manifest against the Supervisor's rules (options valid for
the schema, MQTT service, no host network or privileges), translations, AppArmor profile, and the
options script: sample and default options become a hypnic.yaml that passes `hypnicd check-config`;
hostile options and service values are refused with a message naming the problem."""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
    return cond


# --- the Supervisor's option schema, as far as this add-on uses it ---
def validate_element(spec, value, where):
    optional = spec.endswith("?")
    spec = spec.rstrip("?")
    m = re.fullmatch(r"(\w+)(?:\((.*)\))?", spec)
    kind, arg = m.group(1), m.group(2)
    if kind in ("str", "password", "email", "url"):
        return isinstance(value, str) or f"{where}: not a string"
    if kind == "bool":
        return isinstance(value, bool) or f"{where}: not a bool"
    if kind in ("int", "float"):
        ok = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            return f"{where}: not {kind}"
        if arg:
            lo, hi = (float(x) if x else None for x in arg.split(","))
            if (lo is not None and value < lo) or (hi is not None and value > hi):
                return f"{where}: {value} outside {arg}"
        return True
    if kind == "match":
        return (isinstance(value, str) and re.fullmatch(arg, value) is not None) or f"{where}: '{value}' does not match {arg}"
    if kind == "list":
        return value in arg.split("|") or f"{where}: '{value}' not one of {arg}"
    return f"{where}: unknown schema type {spec} (optional={optional})"


def validate(schema, options, where="options"):
    errors = []
    for key in options:
        if key not in schema:
            errors.append(f"{where}.{key}: not in the schema")
    for key, spec in schema.items():
        w = f"{where}.{key}"
        if key not in options:
            if not (isinstance(spec, str) and spec.endswith("?")) and not isinstance(spec, list):
                errors.append(f"{w}: required but missing")
            continue
        value = options[key]
        if isinstance(spec, list):
            if not isinstance(value, list):
                errors.append(f"{w}: not a list")
                continue
            for i, item in enumerate(value):
                if isinstance(spec[0], dict):
                    if not isinstance(item, dict):
                        errors.append(f"{w}[{i}]: not a mapping")
                        continue
                    errors += validate(spec[0], item, f"{w}[{i}]")
                else:
                    r = validate_element(spec[0], item, f"{w}[{i}]")
                    if r is not True:
                        errors.append(r)
        elif isinstance(spec, dict):
            errors += validate(spec, value, w)
        else:
            r = validate_element(spec, value, w)
            if r is not True:
                errors.append(r)
    return errors


def project_version(src):
    with open(os.path.join(src, "CMakeLists.txt"), encoding="utf-8") as f:
        return re.search(r"project\(hypnic VERSION (\S+)", f.read()).group(1)


def check_manifest(src, addon):
    with open(os.path.join(addon, "config.yaml"), encoding="utf-8") as f:
        cfg = yaml.safe_load(f)
    for key in ("name", "version", "slug", "description", "arch", "startup", "options", "schema", "services"):
        check(key in cfg, f"config.yaml lacks {key}")
    check(cfg.get("version") == project_version(src),
          f"config.yaml version {cfg.get('version')} is not the project's {project_version(src)}")
    check("mqtt:need" in cfg.get("services", []), "config.yaml does not need the MQTT service")
    check(not cfg.get("host_network", False), "config.yaml asks for the host network")
    check(not cfg.get("privileged"), "config.yaml asks for privileges")
    check(not cfg.get("full_access", False), "config.yaml asks for full access")
    check(cfg.get("ingress") is True and isinstance(cfg.get("ingress_port"), int),
          "config.yaml should open the web view through ingress (ingress: true, ingress_port)")
    check("ports" not in cfg, "config.yaml opens ports on the host; the web view goes through ingress")
    check(cfg.get("apparmor", True) is not False, "config.yaml turns AppArmor off")
    errors = validate(cfg["schema"], cfg["options"])
    check(not errors, f"the default options do not fit the schema: {errors}")
    sample = load_json(os.path.join(os.path.dirname(__file__), "data/addon-options.json"))
    errors = validate(cfg["schema"], sample)
    check(not errors, f"the sample options do not fit the schema: {errors}")
    # The validator itself must refuse what the Supervisor would.
    bad = dict(sample, sleepers=[{"id": "Alex!"}])
    check(validate(cfg["schema"], bad), "the schema accepts a sleeper id with capitals and '!'")

    for lang in ("en", "de"):
        with open(os.path.join(addon, "translations", f"{lang}.yaml"), encoding="utf-8") as f:
            tr = yaml.safe_load(f)["configuration"]
        check(set(tr) == set(cfg["schema"]), f"translations/{lang}.yaml covers {sorted(tr)}, the schema {sorted(cfg['schema'])}")
        for k, v in tr.items():
            check(v.get("name") and v.get("description"), f"translations/{lang}.yaml: {k} lacks name or description")

    with open(os.path.join(addon, "apparmor.txt"), encoding="utf-8") as f:
        aa = f.read()
    check(re.search(rf"^profile {re.escape(cfg['slug'])} ", aa, re.M), "apparmor.txt has no profile named after the slug")
    check(aa.count("{") == aa.count("}"), "apparmor.txt braces do not balance")

    with open(os.path.join(addon, "build.yaml"), encoding="utf-8") as f:
        build = yaml.safe_load(f)["build_from"]
    check(set(build) == set(cfg["arch"]), f"build.yaml has bases for {sorted(build)}, config.yaml arch {cfg['arch']}")
    for arch, image in build.items():
        check(re.fullmatch(rf"ghcr\.io/home-assistant/{arch}-base-debian:bookworm", image), f"build.yaml {arch}: {image}")
    with open(os.path.join(addon, "Dockerfile"), encoding="utf-8") as f:
        dockerfile = f.read()
    check("ARG BUILD_FROM" in dockerfile and "FROM $BUILD_FROM" in dockerfile, "the Dockerfile does not build from BUILD_FROM")
    check("COPY rootfs /" in dockerfile, "the Dockerfile does not install rootfs/")
    check(os.path.isfile(os.path.join(addon, "DOCS.md")), "DOCS.md is missing")
    return cfg


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def translate(script, options, env):
    """Runs the options script on `options` (a dict, or raw text); returns (rc, stdout, stderr)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(options if isinstance(options, str) else json.dumps(options))
        path = f.name
    try:
        full_env = {"PATH": os.environ["PATH"], **env}
        r = subprocess.run([script, path], capture_output=True, text=True, env=full_env, timeout=30)
        return r.returncode, r.stdout, r.stderr
    finally:
        os.unlink(path)


def check_config(hypnicd, text, env):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "hypnic.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = subprocess.run([hypnicd, "check-config", "--config", path], capture_output=True, text=True,
                           env={"PATH": os.environ["PATH"], **env}, timeout=30)
        return r.returncode, r.stdout + r.stderr


SERVICE = {"MQTT_HOST": "core-mosquitto", "MQTT_PORT": "1883", "MQTT_USERNAME": "addons",
           "MQTT_PASSWORD": "s3cret: #not-yaml", "MQTT_SSL": "false", "TZ": "Europe/Berlin"}


def check_translation(script, hypnicd, cfg):
    # The defaults the Supervisor hands over on first start.
    rc, out, err = translate(script, cfg["options"], SERVICE)
    if check(rc == 0, f"default options refused: {err}"):
        rc, msg = check_config(hypnicd, out, {"HYPNIC_MQTT_PASSWORD": "x"})
        check(rc == 0, f"default options: check-config says {msg}")

    # A full sample: two sleepers, every optional field, awkward strings.
    sample = load_json(os.path.join(os.path.dirname(__file__), "data/addon-options.json"))
    rc, out, err = translate(script, sample, SERVICE)
    if not check(rc == 0, f"sample options refused: {err}"):
        return
    rc, msg = check_config(hypnicd, out, {"HYPNIC_MQTT_PASSWORD": "x"})
    check(rc == 0, f"sample options: check-config says {msg}")
    check("valid (2 sleeper(s), 5 sensor(s))" in msg, f"check-config counted differently: {msg}")
    y = yaml.safe_load(out)
    check(y["mqtt"]["url"] == "tcp://core-mosquitto:1883", f"url {y['mqtt']['url']}")
    check(y["mqtt"]["username"] == "addons", "username not taken from the service")
    check(y["mqtt"].get("password_env") == "HYPNIC_MQTT_PASSWORD", "the password is not read from the environment")
    check(SERVICE["MQTT_PASSWORD"] not in out, "the MQTT password was written into hypnic.yaml")
    check(y["mqtt"]["base_topic"] == "home/hypnic", "base_topic option ignored")
    check(y["timezone"] == "Europe/Berlin", f"empty timezone should fall back to TZ, got {y['timezone']!r}")
    check(y["state_dir"] == "/data", "state_dir is not /data")
    check(y["web"] == {"enabled": True, "listen": "0.0.0.0", "port": cfg["ingress_port"],
                       "allow_from": ["172.30.32.2", "127.0.0.1"]},
          f"the web view does not serve on the ingress port to the Supervisor alone: {y.get('web')}")
    check(y["language"] == "de" and y["log"]["level"] == "debug", "language or log level lost")
    alex, sam = y["sleepers"]
    check(alex["name"] == sample["sleepers"][0]["name"], f"name with quotes and '#' changed: {alex['name']!r}")
    check([s["topic"] for s in alex["sensors"]] == [s["topic"] for s in sample["sensors"][:3]],
          "alex's sensors differ from the options")
    check(alex["sensors"][2] == {"kind": "source", "topic": "tasmota/tele/coffee/SENSOR", "format": "json",
                                 "value": "/ENERGY/Power", "factor": "caffeine", "above": 800, "for_s": 20,
                                 "amount": 80}, f"the source sensor changed: {alex['sensors'][2]}")
    check([s["kind"] for s in sam["sensors"]] == ["vibration", "mask"], "sam's sensors differ")
    check(sam["sensors"][0]["partner"] is False, "partner: false lost")
    check(alex["winddown"]["bedtime"] == "23:15" and sam["winddown"]["bedtime"] == "auto", "bedtimes lost")
    check(sam["winddown"]["lights"] == [{"type": "shelly_gen1", "topic": "shellies/shellydimmer2-E8DB84", "channel": 1}],
          f"sam's light: {sam['winddown'].get('lights')}")
    check("name" not in sam, "a sleeper without a name got one")

    # The broker as the service reports it: TLS, IPv6, no user.
    rc, out, err = translate(script, sample, {"MQTT_HOST": "fd00::5", "MQTT_PORT": "8883", "MQTT_SSL": "true"})
    if check(rc == 0, f"IPv6/TLS service refused: {err}"):
        y = yaml.safe_load(out)
        check(y["mqtt"]["url"] == "ssl://[fd00::5]:8883", f"TLS/IPv6 url {y['mqtt']['url']}")
        check("username" not in y["mqtt"] and "password_env" not in y["mqtt"], "credentials without a service user")
        check(y["timezone"] == "", "no option and no TZ should leave the system zone")
        rc, msg = check_config(hypnicd, out, {})
        check(rc == 0, f"TLS/IPv6: check-config says {msg}")

    # Hostile and broken input: refused, exit 1, the message names the problem; nothing on stdout.
    def refused(options, env, needle, what):
        rc, out, err = translate(script, options, env)
        check(rc == 1 and needle in err and out == "", f"{what}: rc={rc} stderr={err!r} stdout={out[:80]!r}")

    refused(dict(sample, sensors=sample["sensors"] + [{"sleeper": "ghost", "kind": "accel", "topic": "x/y"}]),
            SERVICE, "sleeper 'ghost', which is not in sleepers", "sensor of an unknown sleeper")
    refused(dict(sample, lights=[{"sleeper": "ghost", "type": "tasmota", "topic": "lamp"}]),
            SERVICE, "lights: 'lamp' belongs to sleeper 'ghost'", "light of an unknown sleeper")
    refused(dict(sample, sensors=sample["sensors"][:3]), SERVICE, "sleeper 'sam_2' has no sensors", "sleeper without sensors")
    refused(dict(sample, sleepers=[]), SERVICE, "add at least one sleeper", "no sleepers")
    refused(dict(sample, sleepers=sample["sleepers"] + [{"id": "alex"}]), SERVICE, "an id is used twice", "duplicate id")
    refused(sample, {k: v for k, v in SERVICE.items() if k != "MQTT_HOST"}, "no MQTT broker", "no MQTT service")
    refused(sample, dict(SERVICE, MQTT_PORT="1883; rm -rf /"), "is not a number", "port with shell text")
    refused("{not json", SERVICE, "", "options that are not JSON")
    refused("[1, 2]", SERVICE, "not a JSON object", "options that are a list")
    rc, out, err = translate(script, "", SERVICE)
    check(rc == 1 and out == "", f"empty options file: rc={rc}")

    # Values that try to break out of their YAML scalar stay inside it (check-config then judges them).
    evil = json.loads(json.dumps(sample))
    evil["sleepers"][0]["name"] = "x\"\nmqtt: {url: tcp://evil:1}\n# "
    evil["sensors"][0]["topic"] = "bed/alex/accel\n  injected: true"
    rc, out, err = translate(script, evil, SERVICE)
    if check(rc == 0, f"evil strings: {err}"):
        y = yaml.safe_load(out)
        check(y["mqtt"]["url"] == "tcp://core-mosquitto:1883", "a name rewrote the broker URL")
        check(y["sleepers"][0]["name"] == evil["sleepers"][0]["name"], "the evil name did not round-trip")
        check(y["sleepers"][0]["sensors"][0]["topic"] == evil["sensors"][0]["topic"], "the evil topic did not round-trip")
        rc, msg = check_config(hypnicd, out, {"HYPNIC_MQTT_PASSWORD": "x"})
        check(rc == 2 and "line breaks" in msg, f"check-config should refuse a line break in a value: rc={rc} {msg}")


def check_bundle(src):
    """make-addon.sh lays out the add-on with the committed source."""
    if subprocess.run(["git", "-C", src, "rev-parse", "--verify", "-q", "HEAD"], capture_output=True).returncode != 0:
        print("check_addon: not a git checkout, make-addon.sh not tried")
        return
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([os.path.join(src, "packaging/homeassistant/make-addon.sh"), d],
                           capture_output=True, text=True, timeout=120)
        if not check(r.returncode == 0, f"make-addon.sh failed: {r.stderr}"):
            return
        root = os.path.join(d, "hypnic")
        for f in ("config.yaml", "Dockerfile", "build.yaml", "apparmor.txt", "DOCS.md", "hypnic-src.tar.gz",
                  "rootfs/usr/lib/hypnic-addon/run.sh", "rootfs/usr/lib/hypnic-addon/options_to_yaml.sh"):
            check(os.path.exists(os.path.join(root, f)), f"make-addon.sh left out {f}")
        check(os.access(os.path.join(root, "rootfs/usr/lib/hypnic-addon/run.sh"), os.X_OK), "run.sh lost its x bit")
        listing = subprocess.run(["tar", "-tzf", os.path.join(root, "hypnic-src.tar.gz")], capture_output=True, text=True).stdout
        for f in ("CMakeLists.txt", "scripts/deps.sh", "app/main.cpp"):
            check(f in listing.split("\n"), f"the source bundle lacks {f}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_addon.py SOURCE_DIR HYPNICD")
    src, hypnicd = sys.argv[1], sys.argv[2]
    addon = os.path.join(src, "packaging/homeassistant/addon")
    script = os.path.join(addon, "rootfs/usr/lib/hypnic-addon/options_to_yaml.sh")
    cfg = check_manifest(src, addon)
    check_translation(script, hypnicd, cfg)
    check_bundle(src)
    if FAILURES:
        for f in FAILURES:
            print("check_addon: FAIL " + f)
        return 1
    print("check_addon: manifest, translations, AppArmor profile, options script and bundle all pass")
    return 0


if __name__ == "__main__":
    sys.exit(main())

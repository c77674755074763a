#!/usr/bin/env python3
"""Lints packaging/docker without a Docker engine: the Dockerfile's stages, user, health check,
volumes and time zones, the compose example, the ignore file, and that the image's configuration
passes `hypnicd check-config`."""
import os
import re
import subprocess
import sys

import yaml


def instructions(path):
    """Dockerfile -> [(stage index, INSTRUCTION, arguments)], continuation lines joined."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\\n", " ", text)
    out, stage = [], -1
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, args = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            stage += 1
        out.append((stage, word, args.strip()))
    return out


def check_dockerfile(src, problems):
    path = os.path.join(src, "packaging/docker/Dockerfile")
    ins = instructions(path)
    froms = [a for _, w, a in ins if w == "FROM"]
    if len(froms) < 2:
        problems.append(f"{path}: not multi-stage ({len(froms)} FROM)")
    for a in froms:
        if not a.split()[0] == "debian:12-slim":
            problems.append(f"{path}: stage 'FROM {a}' is not debian:12-slim")
    last = len(froms) - 1
    final = [(w, a) for s, w, a in ins if s == last]
    build = [(w, a) for s, w, a in ins if s < last]

    if not any(w == "RUN" and "scripts/deps.sh" in a for w, a in build):
        problems.append(f"{path}: the build stage does not install the packages with scripts/deps.sh")
    users = [a for w, a in final if w == "USER"]
    if not users:
        problems.append(f"{path}: the final stage has no USER (it would run as root)")
    elif users[-1].split(":")[0] in ("root", "0"):
        problems.append(f"{path}: the final stage runs as {users[-1]}")
    health = [a for w, a in final if w == "HEALTHCHECK"]
    if not health or "NONE" in health[-1].split():
        problems.append(f"{path}: the final stage has no HEALTHCHECK")
    elif "check-config" not in health[-1]:
        problems.append(f"{path}: the HEALTHCHECK does not validate the configuration")
    volumes = " ".join(a for w, a in final if w == "VOLUME")
    for v in ("/config", "/data"):
        if f'"{v}"' not in volumes and not re.search(rf"(^|\s){v}(\s|$)", volumes):
            problems.append(f"{path}: {v} is not a VOLUME")
    runs = " ".join(a for w, a in final if w == "RUN")
    if "tzdata" not in runs:
        problems.append(f"{path}: the final stage does not install tzdata")
    if "useradd" not in runs:
        problems.append(f"{path}: the final stage creates no user")
    entry = [a for w, a in final if w == "ENTRYPOINT"]
    if not entry or "hypnicd" not in entry[-1]:
        problems.append(f"{path}: the ENTRYPOINT is not hypnicd")
    if not any(w == "COPY" and "--from=" in a for w, a in final):
        problems.append(f"{path}: the final stage copies nothing from the build stage")
    # Every local source a COPY names exists in the build context (the repository root).
    for w, a in final + build:
        if w != "COPY" or "--from=" in a:
            continue
        parts = [p for p in a.split() if not p.startswith("--")]
        for p in parts[:-1]:
            if p != "." and not os.path.exists(os.path.join(src, p)):
                problems.append(f"{path}: COPY source {p} does not exist")
    return path


def check_ignore(src, problems):
    path = os.path.join(src, "packaging/docker/Dockerfile.dockerignore")
    if not os.path.isfile(path):
        problems.append(f"{path} is missing")
        return
    with open(path, encoding="utf-8") as f:
        lines = {l.strip() for l in f if l.strip() and not l.startswith("#")}
    for needed in (".git", "build"):
        if needed not in lines:
            problems.append(f"{path}: does not exclude {needed}")


def check_compose(src, problems):
    path = os.path.join(src, "packaging/docker/compose.yaml")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    services = doc.get("services", {})
    h = services.get("hypnic")
    if not h:
        problems.append(f"{path}: no hypnic service")
        return
    b = h.get("build", {})
    dockerfile = os.path.normpath(os.path.join(src, "packaging/docker", b.get("context", "."), b.get("dockerfile", "")))
    if not os.path.isfile(dockerfile):
        problems.append(f"{path}: build points at {dockerfile}, which does not exist")
    for name, s in services.items():
        if s.get("privileged"):
            problems.append(f"{path}: service {name} is privileged")
        if s.get("network_mode") == "host":
            problems.append(f"{path}: service {name} uses the host network")
        for v in s.get("volumes", []):
            host = v.split(":")[0]
            if host.startswith("./") and not os.path.exists(os.path.join(src, "packaging/docker", host)):
                problems.append(f"{path}: service {name} mounts {host}, which does not exist")
    mounts = [v.split(":")[1] for v in h.get("volumes", [])]
    for m in ("/config", "/data"):
        if m not in mounts:
            problems.append(f"{path}: the hypnic service does not mount {m}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_docker.py SOURCE_DIR HYPNICD")
    src, hypnicd = sys.argv[1], sys.argv[2]
    problems = []
    check_dockerfile(src, problems)
    check_ignore(src, problems)
    check_compose(src, problems)
    cfg = os.path.join(src, "packaging/docker/hypnic.yaml")
    r = subprocess.run([hypnicd, "check-config", "--config", cfg], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        problems.append(f"{cfg} does not pass check-config: {r.stdout}{r.stderr}")
    if problems:
        for p in problems:
            print("check_docker: " + p)
        return 1
    print("check_docker: Dockerfile, compose.yaml, ignore file and the image's configuration are consistent "
          "(not built: no Docker engine here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

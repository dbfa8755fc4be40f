"""The systemd unit in deploy/ is one systemd accepts (where systemd-analyze exists)."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess

import pytest

from bot.config import ROOT

UNIT = ROOT / "deploy" / "niangjia.service"


def service() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(UNIT.read_text(encoding="utf-8"))
    return parser


def test_the_unit_runs_the_venv_as_a_user_with_a_memory_limit():
    unit = service()["Service"]
    assert unit["ExecStart"].split()[0].endswith("/.venv/bin/niangjia")
    assert unit["ExecStart"].split()[1:] == ["serve"]
    assert unit["User"] not in ("", "root", "0")
    assert unit["Restart"] == "on-failure" and unit["MemoryMax"] == "600M"
    assert unit["EnvironmentFile"].startswith("/")
    writable = unit["ReadWritePaths"].split()
    for path in writable:
        assert path.startswith(unit["WorkingDirectory"])
    # What the service writes: the index, the knowledge, the log and an older model upgraded.
    home = unit["WorkingDirectory"]
    assert {f"{home}/{d}" for d in ("index", "knowledge", "data", "models")} <= set(writable)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verifies_the_unit(tmp_path):
    # verify checks that the program and the files exist: point them into tmp_path.
    home = tmp_path / "opt" / "niangjia"
    program = home / ".venv" / "bin" / "niangjia"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    for folder in ("index", "knowledge", "data"):
        (home / folder).mkdir()
    env = tmp_path / "niangjia.env"
    env.write_text("TELEGRAM_BOT_TOKEN=\n", encoding="utf-8")
    text = UNIT.read_text(encoding="utf-8")
    text = text.replace("/etc/niangjia/niangjia.env", str(env)).replace("/opt/niangjia", str(home))
    copy = tmp_path / "niangjia.service"
    copy.write_text(text, encoding="utf-8")
    out = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(copy)],
        capture_output=True,
        text=True,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    problems = [
        line
        for line in (out.stdout + out.stderr).splitlines()
        if str(copy) in line or "niangjia.service" in line
    ]
    assert out.returncode == 0 and not problems, out.stdout + out.stderr

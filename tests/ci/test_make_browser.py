"""`make test` sets up its own Chromium on a fresh machine (the browser tests need it), or says how to.

Each case runs the real Makefile target with a PATH of stand-ins, so nothing is installed here: `id` says who
runs it, `sudo` and `apt-get` record what they were asked to do, and no `chromium` exists until apt-get "installs" it.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from infra.config import REPO_ROOT


def _stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def _machine(tmp_path: Path, *, uid: int, sudo_works: bool) -> Path:
    """A PATH folder for a machine without Chromium; apt-get 'installs' it by creating the command."""
    folder = tmp_path / "bin"
    folder.mkdir()
    os.symlink(shutil.which("sh") or "/bin/sh", folder / "sh")
    calls = tmp_path / "calls"
    _stub(folder, "id", f"echo {uid}")
    _stub(folder, "sudo", f'echo "sudo $*" >> {calls}; [ "$1" = -n ] && exit {0 if sudo_works else 1}; exec "$@"')
    chmod = shutil.which("chmod") or "/bin/chmod"
    installs = f'printf "#!/bin/sh\\n" > {folder}/chromium && {chmod} +x {folder}/chromium'
    _stub(folder, "apt-get", f'echo "apt-get $*" >> {calls}; if [ "$1" = install ]; then {installs}; fi')
    return folder


def _make_browser(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("make") or "make", "-s", "--no-print-directory", "-C", str(REPO_ROOT), "browser"],
        env={"PATH": str(path), "HOME": str(path.parent)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(("uid", "sudo_works"), [(0, False), (1000, True)])
def test_installs_debians_chromium_as_root_or_with_sudo(tmp_path: Path, uid: int, sudo_works: bool) -> None:
    # Given a machine without Chromium, where the user is root or may use sudo
    path = _machine(tmp_path, uid=uid, sudo_works=sudo_works)
    # When the test command's set-up runs
    result = _make_browser(path)
    # Then Debian's chromium is installed with apt, and the step passes
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text()
    assert "apt-get install -y -qq chromium" in calls
    assert ("sudo sh -c" in calls) == (uid != 0)
    assert os.access(path / "chromium", os.X_OK)


def test_stops_at_once_with_the_command_when_it_cannot_install(tmp_path: Path) -> None:
    # Given a machine without Chromium, a user who is not root and has no sudo
    path = _machine(tmp_path, uid=1000, sudo_works=False)
    # When the set-up runs
    result = _make_browser(path)
    # Then it fails straight away, names the exact command, and installed nothing
    assert result.returncode != 0
    assert "run: sudo apt-get install chromium" in result.stderr
    assert "apt-get" not in (tmp_path / "calls").read_text().replace("sudo apt-get", "")


def test_does_nothing_when_chromium_is_there(tmp_path: Path) -> None:
    path = _machine(tmp_path, uid=1000, sudo_works=False)
    _stub(path, "chromium", "exit 0")
    result = _make_browser(path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "calls").exists()


def test_ci_runs_only_the_readmes_test_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "`make test`" in readme
    commands = [
        line.strip()
        for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(("set ", "cd "))
    ]
    assert commands == ["make test"]


def test_the_test_command_sets_up_chromium_before_the_tests() -> None:
    # make's dry run of `make test` lists the set-up's own command before pytest
    result = subprocess.run(
        [shutil.which("make") or "make", "-n", "--no-print-directory", "-C", str(REPO_ROOT), "test"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    commands = result.stdout
    assert "apt-get install -y -qq chromium" in commands
    assert commands.index("apt-get install -y -qq chromium") < commands.index("-m pytest")

"""Installed from its wheel, for one user, or editable, chatroom serves its page and static files.

Every case runs `python -m chatroom` from an empty directory, so only the
installed copy can be imported. Nothing is downloaded: pip installs with
--no-deps --no-build-isolation, and each installation finds the test
environment's packages (tornado and the rest) through a .pth file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
import venv
from pathlib import Path

import pytest

from tests.support import IN_CI, REPO, ServerProcess

PROJECT_FILES = ("setup.cfg", "pyproject.toml", "README.md", "chatroom", "templates", "static")
# A file in a folder of its own under static/, as later ES modules or images
# may be: setup.cfg's globs must carry it too.
NESTED_STATIC = ("modules/probe.js", b"export const probe = true;\n")
# The page's style sheet and every ES module it imports.
STATIC_FILES = sorted(path.relative_to(REPO / "static").as_posix() for path in (REPO / "static").rglob("*.*"))


def pip_install(python: Path, *args: str, env: dict[str, str]) -> None:
    """pip installs into ``python``'s environment, offline and without the dependencies."""
    command = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check"]
    command += ["install", "--quiet", "--no-deps", "--no-build-isolation", "--ignore-installed", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without what would steer imports, plus ``extra``."""
    steering = ("PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONSAFEPATH")
    env = {name: value for name, value in os.environ.items() if name not in steering}
    return env | extra


def lend_dependencies(site_dir: Path) -> None:
    """A .pth file in ``site_dir`` that adds the test environment's packages after its own."""
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "chatroom-test-dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(ours)))


def fresh_venv(directory: Path) -> Path:
    """A new virtual environment, without pip of its own, that imports the test environment's packages."""
    venv.create(directory, with_pip=False)
    python = directory / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    lend_dependencies(Path(purelib))
    return python


def imported_from(python: Path | str, cwd: Path, env: dict[str, str]) -> Path:
    """Where ``python``, started in ``cwd``, imports chatroom from."""
    where = subprocess.run(
        [python, "-c", "import chatroom; print(chatroom.__file__)"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(where.stdout.strip()).resolve()


def fetch(url: str) -> tuple[int, bytes]:
    """The status and body of GET ``url``."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return int(response.status), response.read()


def assert_serves_page(python: Path | str, cwd: Path, env: dict[str, str]) -> None:
    """The server started with ``python`` in ``cwd`` serves the page and every static file."""
    with ServerProcess(python=python, cwd=cwd, env=env) as server:
        status, page = fetch(server.url + "/?room=dev")
        assert status == 200
        assert b'data-room="dev"' in page
        assert b'<script type="module" src="/static/js/app.js?v=' in page
        assert b'"/static/js/dom.js":"/static/js/dom.js?v=' in page  # the import map, from the package
        assert b'href="/static/chat.css?v=' in page
        for name in STATIC_FILES:
            assert fetch(f"{server.url}/static/{name}") == (200, (REPO / "static" / name).read_bytes()), name
        nested, content = NESTED_STATIC
        assert fetch(f"{server.url}/static/{nested}") == (200, content)
        assert fetch(server.url + "/")[0] == 200
        assert fetch(server.url + "/healthz")[0] == 200
        server.stop()
    assert server.process is not None and server.process.returncode == 0, server.log()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project to build from, with a static file in a subfolder added."""
    copy = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    nested, content = NESTED_STATIC
    (copy / "static" / nested).parent.mkdir(parents=True)
    (copy / "static" / nested).write_bytes(content)
    return copy


BUILD_SDIST = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"


@pytest.fixture(scope="module")
def wheel(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from the project's sdist, as `python -m build` makes it: both carry the files."""
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-c", BUILD_SDIST, str(dist)], cwd=project, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    sdist = dist / built.stdout.split()[-1]
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "wheel", "--quiet"]
    command += ["--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(sdist)]
    built = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    (found,) = dist.glob("chatroom-*.whl")
    return found


@pytest.fixture
def elsewhere(tmp_path: Path) -> Path:
    """An empty directory to start the server in, far from any checkout."""
    directory = tmp_path / "elsewhere"
    directory.mkdir()
    return directory


def test_wheel_in_a_venv(wheel: Path, tmp_path: Path, elsewhere: Path) -> None:
    """`pip install chatroom-….whl` into a virtual environment: the page and its files are served."""
    python = fresh_venv(tmp_path / "venv")
    env = clean_environment()
    pip_install(python, str(wheel), env=env)
    assert imported_from(python, elsewhere, env).is_relative_to((tmp_path / "venv").resolve())
    assert_serves_page(python, elsewhere, env)


USER_SITE = """
import json, os, site, sysconfig
managed = os.path.isfile(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
print(json.dumps([site.ENABLE_USER_SITE, managed, site.getusersitepackages()]))
"""


def test_wheel_for_one_user(wheel: Path, tmp_path: Path, elsewhere: Path) -> None:
    """`pip install --user`: the page and its files are served from the user's site-packages.

    The base interpreter installs, under a PYTHONUSERBASE of the test's own.
    One that marks itself externally managed (PEP 668, as Debian's does) is
    told to install anyway: what is installed goes to the test's own
    directory, not the system's. One without a user site skips the test, or
    fails it under CI.
    """
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    env = clean_environment(PYTHONUSERBASE=str(tmp_path / "userbase"))
    asked = subprocess.run([python, "-c", USER_SITE], env=env, capture_output=True, text=True, check=True)
    enabled, externally_managed, user_site = json.loads(asked.stdout)
    if not enabled:
        message = f"{python} has no user site: no --user installs"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    lend_dependencies(Path(user_site))
    anyway = ["--break-system-packages"] if externally_managed else []
    pip_install(python, "--user", *anyway, str(wheel), env=env)
    assert imported_from(python, elsewhere, env).is_relative_to((tmp_path / "userbase").resolve())
    assert_serves_page(python, elsewhere, env)


def test_editable(project: Path, tmp_path: Path, elsewhere: Path) -> None:
    """`pip install -e .`: the page and its files are served from the checkout."""
    python = fresh_venv(tmp_path / "venv")
    env = clean_environment()
    pip_install(python, "-e", str(project), env=env)
    assert imported_from(python, elsewhere, env).is_relative_to(project.resolve())
    assert_serves_page(python, elsewhere, env)

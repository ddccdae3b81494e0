# Sourced by bin/serve, tests/run and .ci/run: a virtual environment in .venv
# with the package installed, so the commands also work where the system
# Python refuses `pip install` (PEP 668, Debian's externally-managed Python).
#   ensure_venv SPEC   creates .venv when missing and installs SPEC into it
#   VENV_PYTHON        the environment's interpreter, set by ensure_venv

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_venv() {
  local spec="$1" base="${PYTHON:-python3}"
  VENV_DIR="${CHATROOM_VENV:-$PWD/.venv}"
  if [ ! -x "$VENV_DIR/bin/python" ]; then
    if ! "$base" -m venv "$VENV_DIR" >/dev/null 2>&1; then
      # Debian ships venv's pip bootstrap separately (python3.X-venv).
      rm -rf "$VENV_DIR"
      local version
      version="$("$base" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      echo "installing python${version}-venv from Debian packages"
      as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "python${version}-venv" >/dev/null
      "$base" -m venv "$VENV_DIR"
    fi
  fi
  VENV_PYTHON="$VENV_DIR/bin/python"
  "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check $spec
}

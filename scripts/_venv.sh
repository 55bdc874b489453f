# Shared by scripts/start and scripts/test: a project virtualenv, installed only
# when pyproject.toml changed since the last install.
install_project() {
  local extras=$1 stamp
  if [ ! -x .venv/bin/python ]; then
    "${PYTHON:-python3}" -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  fi
  stamp=".venv/.installed$(echo "$extras" | tr -d '[]')"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "== installing OpenPOAM${extras:+ with $extras} into .venv (log: .venv/install.log)"
    if ! .venv/bin/pip install --disable-pip-version-check -e ".$extras" \
        > .venv/install.log 2>&1; then
      tail -n 30 .venv/install.log
      echo "installation failed; the whole log is in .venv/install.log" >&2
      exit 1
    fi
    touch "$stamp"
  fi
}

# Debian packages the checks use: chromium (browser tests), LibreOffice Calc
# (exports opened by a real spreadsheet), poppler (PDF pages), nginx (the reverse proxy
# in front of two app servers). Installed when we
# may (root with apt-get); otherwise those tests skip and say why.
install_system_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  command -v soffice >/dev/null || missing+=(libreoffice-calc)
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing ${missing[*]}"
    # With their recommended packages: the combination these checks were verified with.
    # A failed install is not fatal: those checks then skip and say why.
    if ! { apt-get update -qq >/dev/null &&
           DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; }
    then
      echo "== could not install ${missing[*]}: their tests will skip"
    fi
  else
    echo "== not installing ${missing[*]} (needs root and apt-get): their tests will skip"
  fi
}

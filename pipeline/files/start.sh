#!/usr/bin/env bash
# The Jupyter images' entrypoint (after tini), with docker-stacks' start conventions:
#   started as root: NB_USER / NB_UID / NB_GID / NB_GROUP refit jovyan, CHOWN_HOME / CHOWN_EXTRA
#   (+ _OPTS) chown, then the command runs as NB_USER (setpriv, not sudo: no sudo in the image);
#   started as any other uid (docker --user, OpenShift): a passwd entry for it if it has none
#   (nss_wrapper, so /etc/passwd stays read-only) with home /home/jovyan, so Java's user.home is real;
#   both: hooks in /usr/local/bin/start-notebook.d (first, as the starting user) and
#   before-notebook.d (last, as root when started as root), NB_UMASK, JUPYTER_ENV_VARS_TO_UNSET,
#   Spark settings from the environment (spark-conf-from-env), then exec the command (default bash).
set -euo pipefail

log() {  # JUPYTER_DOCKER_STACKS_QUIET silences all but warnings and errors
  if [[ -z "${JUPYTER_DOCKER_STACKS_QUIET:-}" || "$*" == WARNING:* || "$*" == ERROR:* ]]; then echo "start.sh: $*" >&2; fi
}

run_hooks() {  # *.sh are sourced, executables run, anything else ignored; a failed hook is logged, not fatal
  local dir=$1 hook rc
  [[ -d "$dir" ]] || return 0
  for hook in "$dir"/*; do
    [[ -e "$hook" ]] || continue
    set +e
    case "$hook" in
      *.sh) log "sourcing $hook"; set +u; source "$hook"; rc=$?; set -u ;;
      *) if [[ -x "$hook" ]]; then log "running $hook"; "$hook"; rc=$?; else log "ignoring non-executable $hook"; rc=0; fi ;;
    esac
    set -e
    [[ $rc -eq 0 ]] || log "ERROR: $hook failed ($rc), continuing"
  done
}

unset_requested() {
  local name
  for name in ${JUPYTER_ENV_VARS_TO_UNSET//,/ }; do unset "$name"; done
  unset JUPYTER_ENV_VARS_TO_UNSET
}

is_yes() { [[ "${1:-}" == 1 || "${1:-}" == yes ]]; }

if [[ $# -eq 0 ]]; then cmd=(bash); else cmd=("$@"); fi
NB_USER=${NB_USER:-jovyan} NB_UID=${NB_UID:-1000} NB_GID=${NB_GID:-100}
JUPYTER_ENV_VARS_TO_UNSET=${JUPYTER_ENV_VARS_TO_UNSET:-} CHOWN_EXTRA=${CHOWN_EXTRA:-}

run_hooks /usr/local/bin/start-notebook.d

if [[ "$(id -u)" == 0 ]]; then
  if id jovyan &>/dev/null && [[ "$NB_USER" != jovyan ]]; then
    log "renaming jovyan to $NB_USER, home /home/$NB_USER"
    usermod --login "$NB_USER" --home "/home/$NB_USER" jovyan
    [[ -e "/home/$NB_USER" ]] || ln -s /home/jovyan "/home/$NB_USER"
    if [[ "$PWD/" == /home/jovyan/* ]]; then cd "/home/$NB_USER/${PWD#/home/jovyan}"; fi
  elif ! id "$NB_USER" &>/dev/null; then
    log "ERROR: neither jovyan nor $NB_USER exists"; exit 1
  fi
  if [[ "$NB_UID" != "$(id -u "$NB_USER")" || "$NB_GID" != "$(id -g "$NB_USER")" ]]; then
    log "setting $NB_USER's uid:gid to $NB_UID:$NB_GID"
    getent group "$NB_GID" >/dev/null || groupadd --gid "$NB_GID" "${NB_GROUP:-$NB_USER}"
    # recreated rather than usermod'ed: usermod would chown the home, which CHOWN_HOME decides
    userdel "$NB_USER"
    useradd --no-log-init --non-unique --home-dir "/home/$NB_USER" --shell /bin/bash \
      --uid "$NB_UID" --gid "$NB_GID" --groups users "$NB_USER"
  fi
  if is_yes "${CHOWN_HOME:-}"; then
    log "chown ${CHOWN_HOME_OPTS:-} $NB_UID:$NB_GID /home/$NB_USER"
    # shellcheck disable=SC2086
    chown ${CHOWN_HOME_OPTS:-} "$NB_UID:$NB_GID" "/home/$NB_USER/"
  fi
  for extra in ${CHOWN_EXTRA//,/ }; do
    log "chown ${CHOWN_EXTRA_OPTS:-} $NB_UID:$NB_GID $extra"
    # shellcheck disable=SC2086
    chown ${CHOWN_EXTRA_OPTS:-} "$NB_UID:$NB_GID" "$extra"
  done
  if is_yes "${GRANT_SUDO:-}"; then log "WARNING: GRANT_SUDO: this image has no sudo; not granted"; fi
  export HOME="/home/$NB_USER" USER="$NB_USER" XDG_CACHE_HOME="/home/$NB_USER/.cache"
  run_hooks /usr/local/bin/before-notebook.d
  spark-conf-from-env
  unset_requested
  [[ -z "${NB_UMASK:-}" ]] || umask "$NB_UMASK"
  log "running as $NB_USER ($NB_UID:$NB_GID): ${cmd[*]}"
  exec setpriv --reuid="$NB_UID" --regid="$NB_GID" --init-groups -- "${cmd[@]}"
fi

if ! getent passwd "$(id -u)" >/dev/null; then
  # an arbitrary uid (docker --user 12345:0, OpenShift): give it a name and /home/jovyan through
  # nss_wrapper; the previous jovyan entry is renamed, as docker-stacks does
  nss=$(mktemp -d /tmp/nss_wrapper.XXXXXX)
  sed "s/^$NB_USER:/nayvoj:/" /etc/passwd >"$nss/passwd"
  echo "$NB_USER:x:$(id -u):$(id -g):$NB_USER:/home/jovyan:/bin/bash" >>"$nss/passwd"
  cp /etc/group "$nss/group"
  getent group "$(id -g)" >/dev/null || echo "$NB_USER:x:$(id -g):" >>"$nss/group"
  export LD_PRELOAD="libnss_wrapper.so${LD_PRELOAD:+ $LD_PRELOAD}" NSS_WRAPPER_PASSWD="$nss/passwd" NSS_WRAPPER_GROUP="$nss/group"
  log "uid $(id -u) had no passwd entry: added as $NB_USER, home /home/jovyan (nss_wrapper)"
fi
for name in NB_USER NB_UID NB_GID; do
  case $name in NB_USER) now=$(id -un) ;; NB_UID) now=$(id -u) ;; NB_GID) now=$(id -g) ;; esac
  default=$(case $name in NB_USER) echo jovyan ;; NB_UID) echo 1000 ;; NB_GID) echo 100 ;; esac)
  if [[ "${!name}" != "$default" && "${!name}" != "$now" ]]; then
    log "WARNING: $name=${!name} needs the container to start as root (--user root); running as $now"
  fi
done
if is_yes "${GRANT_SUDO:-}"; then log "WARNING: GRANT_SUDO: this image has no sudo; not granted"; fi
[[ -w "$HOME" ]] || log "WARNING: no write access to $HOME"
run_hooks /usr/local/bin/before-notebook.d
spark-conf-from-env
unset_requested
[[ -z "${NB_UMASK:-}" ]] || umask "$NB_UMASK"
log "running ${cmd[*]}"
exec "${cmd[@]}"

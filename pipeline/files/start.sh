#!/usr/bin/env bash
# The Jupyter images' entrypoint (after tini), with docker-stacks' start conventions and log lines:
#   once per container start (given as the command too, it warns and runs that command as it is);
#   started as root: NB_USER / NB_UID / NB_GID / NB_GROUP refit jovyan (NB_USER=root with NB_UID=0 and
#   NB_GID=0, rootless Podman's way: the command runs as root, home /home/root), CHOWN_HOME / CHOWN_EXTRA
#   (+ _OPTS) chown, then the command runs as NB_USER (setpriv, not sudo: no sudo in the image);
#   started as any other uid (docker --user, OpenShift): a passwd entry for it if it has none, home
#   /home/jovyan, so Java's user.home is real: written where NSS reads it after /etc/passwd (see
#   jupyter_layer.EXTRA_USERS_SETUP), so processes exec'd into the container later see it too, and
#   /etc/passwd stays read-only; through nss_wrapper, for this command's processes only, where that
#   place is not writable (a read-only root filesystem);
#   both: hooks in /usr/local/bin/start-notebook.d (first, as the starting user) and
#   before-notebook.d (last, as root when started as root), NB_UMASK, JUPYTER_ENV_VARS_TO_UNSET,
#   Spark settings from the environment (spark-conf-from-env), then exec the command (default bash).
set -euo pipefail

log() {  # on stderr; JUPYTER_DOCKER_STACKS_QUIET silences all but warnings and errors
  if [[ -z "${JUPYTER_DOCKER_STACKS_QUIET:-}" || "$*" == WARNING:* || "$*" == ERROR:* ]]; then echo "$*" >&2; fi
}
log "Entered start.sh with args: $*"
if [[ $# -eq 0 ]]; then cmd=(bash); else cmd=("$@"); fi

if [[ "${_START_SH_EXECUTED:-}" == 1 ]]; then
  log "WARNING: start.sh is the default ENTRYPOINT, do not include it in CMD"
  log "Executing the command: ${cmd[*]}"
  exec "${cmd[@]}"
fi
export _START_SH_EXECUTED=1

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

add_passwd_entry() {  # where NSS reads it after /etc/passwd: every process of the container sees it
  local link dir uid gid
  link=$(readlink /etc/passwd.cache) || return 1
  dir=${link%/*} uid=$(id -u) gid=$(id -g)
  [[ -d "$dir" && -w "$dir" ]] || return 1
  printf '%s:x:%s:%s:%s:/home/jovyan:/bin/bash\n' "$NB_USER" "$uid" "$gid" "$NB_USER" >"$dir/passwd.$$" || return 1
  if getent -s files group "$gid" >/dev/null; then : >"$dir/group.$$"; else echo "$NB_USER:x:$gid:" >"$dir/group.$$"; fi
  if mv -f "$dir/passwd.$$" "$dir/passwd" 2>/dev/null && mv -f "$dir/group.$$" "$dir/group" 2>/dev/null; then
    getent passwd "$uid" >/dev/null
  else
    rm -f "$dir/passwd.$$" "$dir/group.$$"
    return 1
  fi
}

NB_USER=${NB_USER:-jovyan} NB_UID=${NB_UID:-1000} NB_GID=${NB_GID:-100}
JUPYTER_ENV_VARS_TO_UNSET=${JUPYTER_ENV_VARS_TO_UNSET:-} CHOWN_EXTRA=${CHOWN_EXTRA:-}

run_hooks /usr/local/bin/start-notebook.d

if [[ "$(id -u)" == 0 ]]; then
  if [[ "$NB_USER" == root && ( "$NB_UID" != 0 || "$NB_GID" != 0 ) ]]; then
    log "ERROR: NB_USER=root needs NB_UID=0 and NB_GID=0 (got $NB_UID:$NB_GID)"; exit 1
  elif [[ "$NB_USER" == root ]]; then
    # rootless Podman or Docker: root in the container is the user outside; home /home/root, as docker-stacks
    # (sed, not usermod: usermod refuses a user with running processes)
    sed -i -E 's#^(root:[^:]*:[^:]*:[^:]*:[^:]*):[^:]*:#\1:/home/root:#' /etc/passwd
  elif [[ "$NB_USER" != jovyan ]] && id jovyan &>/dev/null && ! id "$NB_USER" &>/dev/null; then
    usermod --login "$NB_USER" --home "/home/$NB_USER" jovyan
    log "Updated the jovyan user:"
    log "- username: jovyan       -> $NB_USER"
    log "- home dir: /home/jovyan -> /home/$NB_USER"
  elif ! id "$NB_USER" &>/dev/null; then
    log "ERROR: Neither the jovyan user nor '$NB_USER' exists"; exit 1
  fi
  if [[ "$NB_USER" != jovyan ]]; then
    [[ -e "/home/$NB_USER" ]] || ln -s /home/jovyan "/home/$NB_USER"
    if [[ "$PWD/" == /home/jovyan/* ]]; then
      log "Changing working directory to /home/$NB_USER/${PWD#/home/jovyan/}"
      cd "/home/$NB_USER/${PWD#/home/jovyan/}"
    fi
  fi
  if [[ "$NB_UID" != "$(id -u "$NB_USER")" || "$NB_GID" != "$(id -g "$NB_USER")" ]]; then
    log "Update $NB_USER's UID:GID to $NB_UID:$NB_GID"
    getent group "$NB_GID" >/dev/null || groupadd --gid "$NB_GID" "${NB_GROUP:-$NB_USER}"
    # recreated rather than usermod'ed: usermod would chown the home, which CHOWN_HOME decides
    userdel "$NB_USER"
    useradd --no-log-init --non-unique --home-dir "/home/$NB_USER" --shell /bin/bash \
      --uid "$NB_UID" --gid "$NB_GID" --groups users "$NB_USER"
  fi
  if is_yes "${CHOWN_HOME:-}"; then
    log "Ensuring /home/$NB_USER is owned by $NB_UID:$NB_GID ${CHOWN_HOME_OPTS:+(chown options: $CHOWN_HOME_OPTS)}"
    # shellcheck disable=SC2086
    chown ${CHOWN_HOME_OPTS:-} "$NB_UID:$NB_GID" "/home/$NB_USER/"
  fi
  for extra in ${CHOWN_EXTRA//,/ }; do
    log "Ensuring $extra is owned by $NB_UID:$NB_GID ${CHOWN_EXTRA_OPTS:+(chown options: $CHOWN_EXTRA_OPTS)}"
    # shellcheck disable=SC2086
    chown ${CHOWN_EXTRA_OPTS:-} "$NB_UID:$NB_GID" "$extra"
  done
  if is_yes "${GRANT_SUDO:-}"; then log "WARNING: GRANT_SUDO: this image has no sudo; not granted"; fi
  export HOME="/home/$NB_USER" USER="$NB_USER" XDG_CACHE_HOME="/home/$NB_USER/.cache"
  run_hooks /usr/local/bin/before-notebook.d
  spark-conf-from-env
  unset_requested
  [[ -z "${NB_UMASK:-}" ]] || umask "$NB_UMASK"
  log "Running as $NB_USER: ${cmd[*]}"
  if [[ "$NB_USER" == root ]]; then exec "${cmd[@]}"; fi
  exec setpriv --reuid="$NB_UID" --regid="$NB_GID" --init-groups -- "${cmd[@]}"
fi

if ! getent passwd "$(id -u)" >/dev/null; then
  log "There is no entry in /etc/passwd for our UID=$(id -u). Attempting to fix..."
  if add_passwd_entry; then
    log "Added new $NB_USER user ($(id -u):$(id -g)), home /home/jovyan. Fixed UID!"
  else
    # nss_wrapper: this command and its children see the entry (the previous jovyan is renamed, as docker-stacks does)
    nss=$(mktemp -d /tmp/nss_wrapper.XXXXXX)
    sed "s/^$NB_USER:/nayvoj:/" /etc/passwd >"$nss/passwd"
    echo "$NB_USER:x:$(id -u):$(id -g):$NB_USER:/home/jovyan:/bin/bash" >>"$nss/passwd"
    cp /etc/group "$nss/group"
    getent group "$(id -g)" >/dev/null || echo "$NB_USER:x:$(id -g):" >>"$nss/group"
    export LD_PRELOAD="libnss_wrapper.so${LD_PRELOAD:+ $LD_PRELOAD}" NSS_WRAPPER_PASSWD="$nss/passwd" NSS_WRAPPER_GROUP="$nss/group"
    log "WARNING: the passwd entries' folder (/etc/passwd.cache's) is not writable (a read-only root filesystem?): added $NB_USER ($(id -u):$(id -g)) through nss_wrapper, for this command's processes only, not for processes exec'd into the container"
  fi
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
log "Executing the command: ${cmd[*]}"
exec "${cmd[@]}"

#!/bin/sh
# Engine container entrypoint: the local registry (the engine pulls base images from it at localhost:5000,
# its Docker Hub mirror; registry.yml), then the engine under tini.
set -e
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  # cgroup v2: move our processes out of the root cgroup so controllers can be delegated
  mkdir -p /sys/fs/cgroup/init
  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > /sys/fs/cgroup/init/cgroup.procs || :
  sed -e 's/ / +/g' -e 's/^/+/' < /sys/fs/cgroup/cgroup.controllers > /sys/fs/cgroup/cgroup.subtree_control || :
fi
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p /var/lib/registry
docker-registry serve /etc/docker/registry/config.yml >/var/log/registry.log 2>&1 &
exec tini -- /usr/local/bin/dagger-engine --config /etc/dagger/engine.toml "$@"

#!/usr/bin/env bash
# Spark base entrypoint, after apache/spark-docker's: `driver` and `executor` for Spark on
# Kubernetes, anything else runs as given (spark-submit, pyspark, a shell).
set -eo pipefail

if ! getent passwd "$(id -u)" >/dev/null; then
  export SPARK_USER_NAME=${SPARK_USER_NAME:-spark-$(id -u)}  # arbitrary uid (OpenShift)
fi
SPARK_CLASSPATH="$SPARK_CLASSPATH:${SPARK_HOME}/jars/*"
if [ -n "${HADOOP_HOME:-}" ] && [ -z "${SPARK_DIST_CLASSPATH:-}" ]; then
  export SPARK_DIST_CLASSPATH=$("$HADOOP_HOME/bin/hadoop" classpath)
fi
if [ -n "${SPARK_EXTRA_CLASSPATH:-}" ]; then SPARK_CLASSPATH="$SPARK_CLASSPATH:$SPARK_EXTRA_CLASSPATH"; fi

case "${1:-}" in
  driver)
    shift 1
    exec tini -s -- "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS" \
      --deploy-mode client "$@"
    ;;
  executor)
    shift 1
    # the JVM options Spark's Kubernetes backend hands an executor, in order: SPARK_JAVA_OPT_0, _1, ...
    # (among them Java 17's --add-opens, without which Arrow and Spark's own code fail in tasks)
    java_opts=()
    while IFS= read -r opt; do java_opts+=("$opt"); done \
      < <(env | grep '^SPARK_JAVA_OPT_[0-9]*=' | sort -t_ -k4 -n | sed 's/^[^=]*=//' || true)
    exec tini -s -- "${JAVA_HOME}/bin/java" "${java_opts[@]}" ${SPARK_EXECUTOR_JAVA_OPTS:-} \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$SPARK_CLASSPATH:${SPARK_DIST_CLASSPATH:-}" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" --resourceProfileId "$SPARK_RESOURCE_PROFILE_ID" \
      --podName "$SPARK_EXECUTOR_POD_NAME"
    ;;
  *)
    exec "$@"
    ;;
esac

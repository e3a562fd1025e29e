#!/usr/bin/env bash
# Run a Spark Connect server in the foreground on port 15002 (SPARK_CONNECT_PORT to change it).
# Extra arguments go to spark-submit, e.g. --master k8s://... or --conf spark.driver.memory=4g.
set -euo pipefail
exec "$SPARK_HOME/bin/spark-submit" \
  --class org.apache.spark.sql.connect.service.SparkConnectServer \
  --name "Spark Connect server" \
  --conf "spark.connect.grpc.binding.port=${SPARK_CONNECT_PORT:-15002}" \
  "$@" spark-internal

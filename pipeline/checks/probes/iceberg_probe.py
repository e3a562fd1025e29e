"""Iceberg through Spark Connect, in the default catalog: create, insert, read, snapshots,
time travel, and the data files read back from the warehouse.

usage: iceberg_probe.py CONNECT_URL
"""

import sys
import uuid

from pyspark.sql import SparkSession

spark = SparkSession.builder.remote(sys.argv[1]).getOrCreate()
catalog = spark.sql("SELECT current_catalog()").first()[0]
if catalog != "local":
    sys.exit(f"default catalog is {catalog!r}, expected the Iceberg catalog 'local'")
table = f"probe.t_{uuid.uuid4().hex[:8]}"
spark.sql("CREATE NAMESPACE IF NOT EXISTS probe")
spark.sql(f"CREATE TABLE {table} (id BIGINT, name STRING) USING iceberg")
spark.sql(f"INSERT INTO {table} VALUES (1, 'a'), (2, 'b')")
spark.sql(f"INSERT INTO {table} VALUES (3, 'c')")
rows = sorted(r.id for r in spark.sql(f"SELECT id FROM {table}").collect())
if rows != [1, 2, 3]:
    sys.exit(f"read back {rows}")
snapshots = [
    r.snapshot_id for r in spark.sql(f"SELECT snapshot_id FROM {table}.snapshots ORDER BY committed_at").collect()
]
if len(snapshots) != 2:
    sys.exit(f"expected 2 snapshots, found {snapshots}")
first = spark.sql(f"SELECT count(*) FROM {table} VERSION AS OF {snapshots[0]}").first()[0]
if first != 2:
    sys.exit(f"time travel to the first snapshot saw {first} rows, expected 2")
files = [r.file_path for r in spark.sql(f"SELECT file_path FROM {table}.files").collect()]
if not files:
    sys.exit("the files metadata table is empty")
on_disk = spark.read.parquet(*files).count()
if on_disk != 3:
    sys.exit(f"data files in the warehouse hold {on_disk} rows, expected 3")
print(
    f"iceberg: {table} in catalog {catalog}; 2 snapshots; VERSION AS OF first = 2 rows; "
    f"{len(files)} data files read back ({files[0].rsplit('/', 3)[0]}/...)"
)

-- The exports generate.sh runs (psql, client side). Each is what a person
-- would type to hand an asset list to another tool.
\set ON_ERROR_STOP on

-- 1. assets.csv: plain CSV with a header; arrays flattened the way
--    spreadsheets like them.
\copy (SELECT asset_tag, name, asset_type, fqdn, serial_number, environment, owner_team, cpu_cores, memory_gb, in_warranty, purchase_date, array_to_string(tags, ';') AS tags, runs_on, array_to_string(depends_on, ',') AS depends_on, cluster, array_to_string(used_by, ',') AS used_by, notes FROM assets ORDER BY asset_tag) TO 'assets.csv' WITH (FORMAT csv, HEADER true)

-- 2. network-devices.csv: semicolon-separated.
\copy (SELECT hostname, host(mgmt_ip) AS mgmt_ip, serial, model, rack, ports, array_to_string(uplinks, ' ') AS uplinks FROM network_devices ORDER BY hostname) TO 'network-devices.csv' WITH (FORMAT csv, HEADER true, DELIMITER ';')

-- 3. applications.json: one pretty-printed JSON array with nested objects
--    and real JSON arrays and numbers.
\pset format unaligned
\pset tuples_only on
\o applications.json
SELECT jsonb_pretty(jsonb_agg(jsonb_build_object(
         'assetTag', asset_tag,
         'displayName', name,
         'category', asset_type,
         'environment', environment,
         'owner', jsonb_build_object('team', owner_team),
         'tags', to_jsonb(tags),
         'dependsOn', COALESCE(to_jsonb(depends_on), '[]'::jsonb),
         'deployment', jsonb_build_object('host', runs_on, 'replicas', CASE WHEN name LIKE '%service' THEN 3 ELSE 1 END),
         'sla', jsonb_build_object('availability', CASE environment WHEN 'production' THEN 99.95 ELSE 99.0 END, 'pci', 'pci' = ANY(tags)),
         'notes', notes)
       ORDER BY asset_tag))
  FROM assets WHERE asset_type IN ('Application', 'Database');
\o

-- 4. servers.jsonl: JSON Lines, one row_to_json object per line; the
--    "os.family" column shows a flattened key with a dot in it.
\o servers.jsonl
SELECT row_to_json(t) FROM (
  SELECT asset_tag, name, fqdn,
         CASE asset_type WHEN 'Hypervisor' THEN 'esxi' ELSE 'linux' END AS "os.family",
         json_build_object('serial', serial_number, 'cpuCores', cpu_cores, 'memoryGb', memory_gb) AS hardware,
         in_warranty, owner_team, environment, cluster
    FROM assets WHERE serial_number IS NOT NULL AND asset_type <> 'Load balancer'
   ORDER BY asset_tag) t;
\o

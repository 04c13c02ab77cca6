-- A small in-house asset register, the kind of database teams keep before
-- they have a CMDB. generate.sh loads this into a throwaway PostgreSQL
-- cluster and exports it with psql; the exports are the fixtures.
\set ON_ERROR_STOP on
SET client_encoding = 'UTF8';

CREATE TABLE assets (
    asset_tag     text PRIMARY KEY,
    name          text NOT NULL,
    asset_type    text NOT NULL,
    fqdn          text,
    serial_number text,
    environment   text,
    owner_team    text,
    cpu_cores     integer,
    memory_gb     numeric(6,1),
    in_warranty   boolean,
    purchase_date date,
    tags          text[],
    runs_on       text,      -- fqdn of the host
    depends_on    text[],    -- asset tags
    cluster       text,      -- asset tag of the cluster
    used_by       text[],    -- asset tags of applications using this one
    notes         text
);

INSERT INTO assets VALUES
('AST-01001', 'esx-zrh-01', 'Hypervisor', 'esx-zrh-01.corp.example.com', 'CZJ8140A1X', 'production', 'Platform', 64, 512.0, true,  '2021-03-15', '{vmware,zrh}', NULL, NULL, 'AST-01000', NULL, 'Rack B4, Zürich DC'),
('AST-01002', 'esx-zrh-02', 'Hypervisor', 'esx-zrh-02.corp.example.com', 'CZJ8140A2K', 'production', 'Platform', 64, 512.0, true,  '2021-03-15', '{vmware,zrh}', NULL, NULL, 'AST-01000', NULL, NULL),
('AST-01000', 'vsphere-zrh', 'Cluster', NULL, NULL, 'production', 'Platform', NULL, NULL, NULL, NULL, '{vmware}', NULL, NULL, NULL, NULL, 'HA cluster, 2 hosts'),
('AST-01010', 'db-pg-01', 'Linux server', 'db-pg-01.corp.example.com', 'MXQ93102HT', 'production', 'Data', 32, 256.0, false, '2018-11-02', '{postgres,"tier 1"}', NULL, NULL, NULL, NULL, 'Out of warranty; replacement "planned" for Q3'),
('AST-01020', 'web-01', 'Virtual machine', 'web-01.corp.example.com', NULL, 'production', 'Web', 4, 16.0, NULL, NULL, '{nginx}', 'esx-zrh-01.corp.example.com', NULL, NULL, NULL, NULL),
('AST-01021', 'web-02', 'Virtual machine', 'web-02.corp.example.com', NULL, 'production', 'Web', 4, 16.0, NULL, NULL, '{nginx}', 'esx-zrh-02.corp.example.com', NULL, NULL, NULL, NULL),
('AST-01022', 'web-stg-01', 'Virtual machine', 'web-stg-01.corp.example.com', NULL, 'staging', 'Web', 2, 8.0, NULL, NULL, '{}', 'esx-zrh-02.corp.example.com', NULL, NULL, NULL, E'Rebuilt 2024-02-01\nafter disk failure'),
('AST-01030', 'lb-prod', 'Load balancer', 'lb.corp.example.com', 'F5-BIGIP-88812', 'production', 'Network', NULL, NULL, true, '2022-06-30', '{f5}', NULL, '{AST-01020,AST-01021}', NULL, NULL, NULL),
('AST-02001', 'Web shop', 'Application', NULL, NULL, 'production', 'E-commerce', NULL, NULL, NULL, NULL, '{customer-facing,pci}', 'web-01.corp.example.com', '{AST-02010,AST-01030}', NULL, NULL, 'Owner: Jane Doe, jane.doe@example.com'),
('AST-02002', 'Order service', 'Application', NULL, NULL, 'production', 'E-commerce', NULL, NULL, NULL, NULL, '{pci}', 'web-02.corp.example.com', '{AST-02010}', NULL, NULL, NULL),
('AST-02003', 'Web shop (staging)', 'Application', NULL, NULL, 'staging', 'E-commerce', NULL, NULL, NULL, NULL, '{}', 'web-stg-01.corp.example.com', NULL, NULL, NULL, NULL),
('AST-02010', 'orders database', 'Database', NULL, NULL, 'production', 'Data', NULL, NULL, NULL, NULL, '{postgres}', 'db-pg-01.corp.example.com', NULL, NULL, '{AST-02001,AST-02002}', 'PostgreSQL 15, database "orders"');

-- Network gear lives in its own table, exported separately (with ";", as
-- spreadsheets in many European locales expect).
CREATE TABLE network_devices (
    hostname  text PRIMARY KEY,
    mgmt_ip   inet,
    serial    text,
    model     text,
    rack      text,
    ports     integer,
    uplinks   text[]
);

INSERT INTO network_devices VALUES
('sw-zrh-b4-1', '10.10.4.11', 'FOC2231X0AB', 'Cisco C9300-48P', 'RACK-ZRH-B4', 48, '{10.10.0.1,10.10.0.2}'),
('sw-zrh-b4-2', '10.10.4.12', 'FOC2231X0AC', 'Cisco C9300-48P', 'RACK-ZRH-B4', 48, '{10.10.0.1,10.10.0.2}'),
('core-zrh-1',  '10.10.0.1',  'FDO2410Q1ZZ', 'Cisco C9500-32C', 'RACK-ZRH-A1', 32, '{}'),
('core-zrh-2',  '10.10.0.2',  'FDO2410Q1ZY', 'Cisco C9500-32C', 'RACK-ZRH-A1', 32, '{}');

-- Two databases on the one PostgreSQL server: Airflow's metadata and the grassroots warehouse.
CREATE USER warehouse WITH PASSWORD 'warehouse';
CREATE DATABASE warehouse OWNER warehouse;

//! vela-data: the Parquet and `DuckDB` history store. Built in the data-layer issue; this crate only reserves its place in the workspace.

//! Data functions: the store's datasets, bars as columns, importing files, checks, the
//! synthetic generator and SQL over the catalog.

use std::path::{Path, PathBuf};

use arrow_ipc::writer::StreamWriter;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use serde_json::json;
use vela_data::store::{Catalog, Conflict, DatasetId, DatasetInfo, Store, TimeRange, resolve_root};
use vela_data::{
    Duplicates, GeneratorSpec, Interval, Repair, check as check_frame, generate, import, repair,
};

use crate::columns::{BarArrays, frame_dict};
use crate::errors::{self, Kind, compute, parameter};

/// The store at `data_dir` (default: `$VELA_DATA_DIR`, else `./vela-data`), which must exist.
pub(crate) fn open_store(data_dir: Option<&str>) -> PyResult<Store> {
    let root = resolve_root(data_dir.map(Path::new));
    Store::open_existing(&root).map_err(|e| errors::store(&e))
}

/// A dataset name: `exchange/SYMBOL/interval`.
pub(crate) fn dataset_id(text: &str) -> PyResult<DatasetId> {
    text.parse::<DatasetId>().map_err(|e| errors::store(&e))
}

/// An interval: `1m`, `5m`, `1h`, `1d`, ...
pub(crate) fn interval(text: &str) -> PyResult<Interval> {
    text.parse::<Interval>()
        .map_err(|e| parameter(format!("interval {text:?}: {e}")))
}

/// The range `[start, end)` of open times in ms; `None` is open-ended.
pub(crate) fn range(start: Option<i64>, end: Option<i64>) -> TimeRange {
    TimeRange {
        start: start.unwrap_or(i64::MIN),
        end: end.unwrap_or(i64::MAX),
    }
}

fn info_json(info: &DatasetInfo) -> serde_json::Value {
    json!({
        "dataset": info.id.to_string(),
        "exchange": info.id.exchange(),
        "symbol": info.id.symbol(),
        "interval": info.id.interval().to_string(),
        "rows": info.rows,
        "first_ts": info.first_ts,
        "last_ts": info.last_ts,
        "gaps": info.gaps,
        "missing_bars": info.missing_bars,
        "has_quote_volume": info.has_quote_volume,
        "content_hash": info.content_hash,
    })
}

/// The store's datasets with their coverage, as JSON (a list of objects).
#[pyfunction]
#[pyo3(signature = (data_dir=None))]
pub(crate) fn datasets(py: Python<'_>, data_dir: Option<&str>) -> PyResult<String> {
    compute(py, || {
        let store = open_store(data_dir)?;
        let infos = Catalog::open(&store)
            .and_then(|c| c.sync(&store))
            .map_err(|e| errors::store(&e))?;
        Ok(serde_json::Value::from(infos.iter().map(info_json).collect::<Vec<_>>()).to_string())
    })
}

/// The bars of a stored dataset in `[start, end)` (ms), as a dict of numpy arrays.
#[pyfunction]
#[pyo3(signature = (dataset, start=None, end=None, data_dir=None))]
pub(crate) fn read_bars<'py>(
    py: Python<'py>,
    dataset: &str,
    start: Option<i64>,
    end: Option<i64>,
    data_dir: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let frame = compute(py, || {
        let store = open_store(data_dir)?;
        let id = dataset_id(dataset)?;
        store
            .read(&id, range(start, end))
            .map_err(|e| errors::store(&e))
    })?;
    frame_dict(py, frame)
}

/// Imports a bar file (CSV, Parquet, Arrow IPC/feather) into the store as
/// `exchange/SYMBOL/interval`; returns what the write did, as JSON.
#[pyfunction]
#[pyo3(signature = (path, exchange, symbol, interval=None, on_conflict="fail", sort=false, drop_duplicates=None, data_dir=None))]
#[allow(
    clippy::too_many_arguments,
    reason = "mirrors the keyword arguments of vela.import_file"
)]
pub(crate) fn import_file(
    py: Python<'_>,
    path: PathBuf,
    exchange: &str,
    symbol: &str,
    interval: Option<&str>,
    on_conflict: &str,
    sort: bool,
    drop_duplicates: Option<&str>,
    data_dir: Option<&str>,
) -> PyResult<String> {
    let given = interval.map(self::interval).transpose()?;
    let conflict: Conflict = on_conflict
        .parse()
        .map_err(|e| parameter(format!("on_conflict {on_conflict:?}: {e}")))?;
    let duplicates: Option<Duplicates> = drop_duplicates
        .map(|d| {
            d.parse()
                .map_err(|e| parameter(format!("drop_duplicates {d:?}: {e}")))
        })
        .transpose()?;
    compute(py, || {
        if !path.exists() {
            return Err(errors::raise(
                Kind::NotFound,
                format!("{}: no such file", path.display()),
            ));
        }
        let (frame, layout) =
            import::read_file(&path).map_err(|e| errors::raise(Kind::Data, e.to_string()))?;
        let interval = match given {
            Some(i) => i,
            None => Interval::infer(&frame.ts).ok_or_else(|| {
                parameter(format!(
                    "{}: cannot tell the bar interval from the open times; pass interval=",
                    path.display()
                ))
            })?,
        };
        let id = DatasetId::new(exchange, symbol, interval).map_err(|e| errors::store(&e))?;
        let repairing = sort || duplicates.is_some();
        let policy = Repair {
            sort,
            drop_duplicates: duplicates,
            fill_gaps: None,
        };
        let (frame, repaired) = if repairing {
            let (frame, log) = repair(&frame, interval, &policy)
                .map_err(|e| errors::raise(Kind::Data, e.to_string()))?;
            (frame, Some(log.to_string()))
        } else {
            (frame, None)
        };
        let store =
            Store::open(resolve_root(data_dir.map(Path::new))).map_err(|e| errors::store(&e))?;
        let summary = store
            .write(&id, &frame, conflict)
            .map_err(|e| errors::store(&e))?;
        let info = store.info(&id).map_err(|e| errors::store(&e))?;
        Ok(json!({
            "file": path.display().to_string(),
            "layout": layout,
            "dataset": id.to_string(),
            "offered": summary.offered,
            "added": summary.added,
            "replaced": summary.replaced,
            "kept": summary.kept,
            "partitions_written": summary.partitions_written,
            "repaired": repaired,
            "info": info_json(&info),
        })
        .to_string())
    })
}

fn report_json(report: &vela_data::Report) -> String {
    json!({
        "dataset": report.dataset,
        "rows": report.rows,
        "clean": report.is_clean(),
        "findings": report.lines().map(|l| l.to_string()).collect::<Vec<_>>(),
        "summary": report.to_string(),
    })
    .to_string()
}

/// Checks a stored dataset (gaps, duplicates, order, OHLC rules, ...); the report as JSON.
#[pyfunction]
#[pyo3(signature = (dataset, start=None, end=None, data_dir=None))]
pub(crate) fn check_dataset(
    py: Python<'_>,
    dataset: &str,
    start: Option<i64>,
    end: Option<i64>,
    data_dir: Option<&str>,
) -> PyResult<String> {
    compute(py, || {
        let store = open_store(data_dir)?;
        let id = dataset_id(dataset)?;
        let frame = store
            .read(&id, range(start, end))
            .map_err(|e| errors::store(&e))?;
        Ok(report_json(&check_frame(
            &id.to_string(),
            &frame,
            id.interval(),
        )))
    })
}

/// Checks bars given as columns at `interval`; the report as JSON.
#[pyfunction]
pub(crate) fn check_columns(
    py: Python<'_>,
    name: &str,
    interval: &str,
    columns: &Bound<'_, PyDict>,
) -> PyResult<String> {
    let interval = self::interval(interval)?;
    let frame = BarArrays::from_dict(columns)?.frame()?;
    compute(py, || Ok(report_json(&check_frame(name, &frame, interval))))
}

/// Seeded synthetic bars (vela-data's generator): the same seed gives the same bars.
#[pyfunction]
#[pyo3(signature = (bars, seed, interval="1m", start_ms=1_640_995_200_000, price=40_000.0))]
pub(crate) fn generate_bars<'py>(
    py: Python<'py>,
    bars: usize,
    seed: u64,
    interval: &str,
    start_ms: i64,
    price: f64,
) -> PyResult<Bound<'py, PyDict>> {
    let spec = GeneratorSpec {
        start_ts: start_ms,
        interval: self::interval(interval)?,
        start_price: price,
        ..GeneratorSpec::new(seed, bars)
    };
    let frame = compute(py, || {
        generate(&spec).map_err(|e| parameter(format!("generate: {e}")))
    })?;
    frame_dict(py, frame)
}

/// Runs one SQL statement over the store's catalog (tables `datasets`, `partitions`,
/// `bars` and one view per dataset); the result as Arrow IPC stream bytes.
#[pyfunction]
#[pyo3(signature = (query, data_dir=None))]
pub(crate) fn sql<'py>(
    py: Python<'py>,
    query: &str,
    data_dir: Option<&str>,
) -> PyResult<Bound<'py, PyBytes>> {
    let bytes = compute(py, || {
        let store = open_store(data_dir)?;
        let catalog = Catalog::open(&store).map_err(|e| errors::store(&e))?;
        catalog.sync(&store).map_err(|e| errors::store(&e))?;
        let result = catalog.query(query).map_err(|e| errors::store(&e))?;
        let Some(first) = result.batches.first() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let mut writer = StreamWriter::try_new(&mut out, &first.schema()).map_err(ipc)?;
        for batch in &result.batches {
            writer.write(batch).map_err(ipc)?;
        }
        writer.finish().map_err(ipc)?;
        drop(writer);
        Ok(out)
    })?;
    Ok(PyBytes::new(py, &bytes))
}

fn ipc(e: impl std::fmt::Display) -> PyErr {
    errors::raise(Kind::Internal, format!("SQL result as Arrow IPC: {e}"))
}

//! Parquet input: record batches streamed row group by row group (memory holds
//! one batch), each value turned into the cell the schema decodes: numbers
//! and booleans as such, decimals exactly, date32/date64 as dates, timestamps
//! as date-times (UTC when the column has a time zone), strings as text.

use super::error::{DataError, Location};
use super::tabular::{Cells, TableInput, TableRow};
use super::value::Cell;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType, UInt16Type,
    UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

/// Rows decoded per batch.
pub const BATCH: usize = 8_192;

fn unreadable(source: &str, message: impl std::fmt::Display) -> DataError {
    DataError::Unreadable {
        source_name: source.into(),
        message: message.to_string(),
        help: Some("tier reads Parquet files compressed with Snappy or uncompressed".into()),
    }
}

/// Whether tier turns values of `ty` into cells.
pub fn readable(ty: &DataType) -> bool {
    match ty {
        DataType::Dictionary(_, v) => readable(v),
        t => {
            t.is_integer()
                || t.is_floating()
                || matches!(
                    t,
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Boolean
                        | DataType::Decimal128(..)
                        | DataType::Date32
                        | DataType::Date64
                        | DataType::Timestamp(..)
                        | DataType::Null
                )
        }
    }
}

pub fn open<T: ChunkReader + 'static>(input: T, name: &str) -> Result<TableInput, DataError> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(|e| unreadable(name, e))?;
    let schema = builder.schema().clone();
    let batches = builder.with_batch_size(BATCH).build().map_err(|e| unreadable(name, e))?;
    Ok(from_batches(&schema, batches, name))
}

/// The rows of `batches` (of `schema`), numbered from 1: the whole file for
/// the plain path, a share of its rows for a worker of the parallel path.
pub fn from_batches(
    schema: &arrow_schema::Schema,
    mut batches: impl Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>> + 'static,
    name: &str,
) -> TableInput {
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let unsupported: Vec<(usize, String)> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !readable(f.data_type()))
        .map(|(i, f)| (i, f.data_type().to_string()))
        .collect();
    let source: std::sync::Arc<str> = name.into();
    let (mut batch, mut i, mut row, mut failed) = (None::<std::rc::Rc<RecordBatch>>, 0usize, 0usize, false);
    let iter = std::iter::from_fn(move || -> Option<TableRow> {
        loop {
            if failed {
                return None;
            }
            if let Some(b) = batch.as_ref().filter(|b| i < b.num_rows()) {
                let cells: Box<dyn Cells> = Box::new(BatchRow { batch: b.clone(), i });
                i += 1;
                row += 1;
                return Some(Ok((Location { source: source.clone(), row, line: None }, cells)));
            }
            match batches.next()? {
                Ok(b) => (batch, i) = (Some(std::rc::Rc::new(b)), 0),
                Err(e) => {
                    // A damaged file: nothing after this point can be read.
                    failed = true;
                    return Some(Err((unreadable(&source, e), Box::new(Vec::new()))));
                }
            }
        }
    });
    TableInput { columns, rows: Box::new(iter), origin: None, unsupported }
}

/// Row `i` of a record batch: its cells are made when read.
struct BatchRow {
    batch: std::rc::Rc<RecordBatch>,
    i: usize,
}

impl Cells for BatchRow {
    fn get(&self, column: usize) -> Option<Cell> {
        self.batch.columns().get(column).map(|a| cell(a.as_ref(), self.i))
    }
    fn width(&self) -> usize {
        self.batch.num_columns()
    }
}

/// A whole float as an integer (`42`, not `42.0`: keys and counts read as written).
fn float(f: f64) -> Cell {
    use serde_json::Value as J;
    if f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Cell::Json(J::from(f as i64));
    }
    serde_json::Number::from_f64(f).map_or(Cell::Text(f.to_string()), |n| Cell::Json(J::Number(n)))
}

fn seconds(unit: &TimeUnit, v: i64) -> i64 {
    match unit {
        TimeUnit::Second => v,
        TimeUnit::Millisecond => v.div_euclid(1_000),
        TimeUnit::Microsecond => v.div_euclid(1_000_000),
        TimeUnit::Nanosecond => v.div_euclid(1_000_000_000),
    }
}

/// The value at `i` as a cell.
pub(crate) fn cell(a: &dyn Array, i: usize) -> Cell {
    use serde_json::Value as J;
    if a.is_null(i) {
        return Cell::Json(J::Null);
    }
    // A day past 9999-12-31 (or before year 0) is shown as stored, which no
    // date field reads: an error, never an empty cell.
    let date = |days: i64| {
        crate::number::Date(0).add_days(days).map_or_else(|| format!("day {days} from 1970-01-01"), |d| d.to_string())
    };
    match a.data_type() {
        DataType::Utf8 => Cell::Text(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Cell::Text(a.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Cell::Text(a.as_string_view().value(i).to_string()),
        DataType::Boolean => Cell::Json(J::Bool(a.as_boolean().value(i))),
        DataType::Int8 => Cell::Json(a.as_primitive::<Int8Type>().value(i).into()),
        DataType::Int16 => Cell::Json(a.as_primitive::<Int16Type>().value(i).into()),
        DataType::Int32 => Cell::Json(a.as_primitive::<Int32Type>().value(i).into()),
        DataType::Int64 => Cell::Json(a.as_primitive::<Int64Type>().value(i).into()),
        DataType::UInt8 => Cell::Json(a.as_primitive::<UInt8Type>().value(i).into()),
        DataType::UInt16 => Cell::Json(a.as_primitive::<UInt16Type>().value(i).into()),
        DataType::UInt32 => Cell::Json(a.as_primitive::<UInt32Type>().value(i).into()),
        DataType::UInt64 => Cell::Json(a.as_primitive::<UInt64Type>().value(i).into()),
        DataType::Float16 => Cell::Text(a.as_primitive::<arrow_array::types::Float16Type>().value(i).to_string()),
        DataType::Float32 => float(f64::from(a.as_primitive::<Float32Type>().value(i))),
        DataType::Float64 => float(a.as_primitive::<Float64Type>().value(i)),
        DataType::Decimal128(_, scale) => {
            let v = a.as_primitive::<Decimal128Type>().value(i);
            // Beyond 96 bits or 28 places: the digits as text, which decoding refuses.
            match u32::try_from(*scale).ok().and_then(|s| rust_decimal::Decimal::try_from_i128_with_scale(v, s).ok()) {
                Some(d) => Cell::Text(d.to_string()),
                None => Cell::Text(format!("{v}e-{scale}")),
            }
        }
        DataType::Date32 => Cell::Text(date(i64::from(a.as_primitive::<Date32Type>().value(i)))),
        DataType::Date64 => Cell::Text(date(a.as_primitive::<Date64Type>().value(i).div_euclid(86_400_000))),
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
            };
            Cell::Text(crate::number::format_datetime(seconds(unit, v)))
        }
        DataType::Dictionary(..) => match a.as_any_dictionary_opt() {
            Some(d) => {
                let key = d.normalized_keys().get(i).copied().unwrap_or(0);
                cell(d.values().as_ref(), key)
            }
            None => Cell::Json(J::Null),
        },
        // Refused when a field reads the column (`TableInput::unsupported`);
        // other columns show their type in the reject report.
        other => Cell::Text(format!("({other})")),
    }
}

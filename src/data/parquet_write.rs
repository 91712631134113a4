//! Parquet output: typed columns (decimal128 for money, date32, timestamps,
//! utf8, bool, int64, float64), written one row group at a time, so memory
//! holds one row group however long the run. The strategy is one JSON column
//! (`strategy`, the object the JSON output writes), not a struct: strategies of
//! different tiers have different keys and value types.

use super::table::{Column, Kind, Out, SummaryTable, Table};
use arrow_array::builder::{
    ArrayBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int64Builder, StringBuilder,
    TimestampSecondBuilder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Records per row group.
const GROUP: usize = 65_536;
/// Decimal places of money columns (decimal128(38, 6)): amounts with more are
/// rounded half to even, e.g. an average of cents.
pub const MONEY_SCALE: u32 = 6;

/// The bytes the Parquet writer has produced and the output not yet taken.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut v = self.0.lock().map_err(|_| std::io::Error::other("parquet buffer poisoned"))?;
        v.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    /// Moves what the writer produced so far to `out`.
    fn drain(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let mut v = self.0.lock().map_err(|_| std::io::Error::other("parquet buffer poisoned"))?;
        out.write_all(&v)?;
        v.clear();
        Ok(())
    }
}

pub struct ParquetTable {
    writer: ArrowWriter<Shared>,
    buffer: Shared,
    schema: Arc<Schema>,
    columns: Vec<Column>,
    builders: Vec<Box<dyn ArrayBuilder>>,
    rows: usize,
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("writing Parquet: {e}"))
}

/// The Arrow type each kind is stored as.
pub fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Text | Kind::Json => DataType::Utf8,
        Kind::Money => DataType::Decimal128(38, MONEY_SCALE as i8),
        Kind::Number | Kind::Percent => DataType::Float64,
        Kind::Integer => DataType::Int64,
        Kind::Date => DataType::Date32,
        Kind::DateTime => DataType::Timestamp(TimeUnit::Second, None),
        Kind::Bool => DataType::Boolean,
    }
}

fn builder(kind: Kind) -> std::io::Result<Box<dyn ArrayBuilder>> {
    Ok(match kind {
        Kind::Text | Kind::Json => Box::new(StringBuilder::new()),
        Kind::Money => Box::new(Decimal128Builder::new().with_precision_and_scale(38, MONEY_SCALE as i8).map_err(io)?),
        Kind::Number | Kind::Percent => Box::new(Float64Builder::new()),
        Kind::Integer => Box::new(Int64Builder::new()),
        Kind::Date => Box::new(Date32Builder::new()),
        Kind::DateTime => Box::new(TimestampSecondBuilder::new()),
        Kind::Bool => Box::new(BooleanBuilder::new()),
    })
}

impl ParquetTable {
    pub fn new(columns: Vec<Column>) -> std::io::Result<Self> {
        let fields: Vec<Field> = columns.iter().map(|c| Field::new(&c.name, data_type(c.kind), true)).collect();
        let schema = Arc::new(Schema::new(fields));
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::SNAPPY)
            .set_max_row_group_row_count(Some(GROUP))
            .build();
        let buffer = Shared::default();
        let writer = ArrowWriter::try_new(buffer.clone(), schema.clone(), Some(props)).map_err(io)?;
        let builders = columns.iter().map(|c| builder(c.kind)).collect::<std::io::Result<_>>()?;
        Ok(ParquetTable { writer, buffer, schema, columns, builders, rows: 0 })
    }

    /// Writes the rows held as one row group and hands its bytes on.
    fn flush(&mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if self.rows == 0 {
            return Ok(());
        }
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(|b| b.finish()).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(io)?;
        self.writer.write(&batch).map_err(io)?;
        self.writer.flush().map_err(io)?;
        self.rows = 0;
        self.buffer.drain(out)
    }
}

/// Appends one cell to its column's builder.
fn append(b: &mut dyn ArrayBuilder, v: &Out, column: &Column) -> std::io::Result<()> {
    use rust_decimal::prelude::ToPrimitive;
    let any = b.as_any_mut();
    let wrong = || io(format!("column `{}`: {v:?} is not a {:?} value", column.name, column.kind));
    macro_rules! put {
        ($ty:ty, $value:expr) => {
            any.downcast_mut::<$ty>().ok_or_else(wrong)?.append_option($value)
        };
    }
    match (column.kind, v) {
        (Kind::Text | Kind::Json, Out::Text(s)) => put!(StringBuilder, Some(s)),
        (Kind::Text | Kind::Json, Out::Null) => put!(StringBuilder, None::<&str>),
        (Kind::Money, Out::Num(d)) => {
            let mut d = d.round_dp_with_strategy(MONEY_SCALE, rust_decimal::RoundingStrategy::MidpointNearestEven);
            d.rescale(MONEY_SCALE);
            put!(Decimal128Builder, Some(d.mantissa()))
        }
        (Kind::Money, Out::Null) => put!(Decimal128Builder, None),
        (Kind::Number | Kind::Percent, Out::Num(d)) => put!(Float64Builder, d.to_f64()),
        (Kind::Number | Kind::Percent, Out::Null) => put!(Float64Builder, None),
        // A fraction in a whole-number column is an error, never truncated.
        (Kind::Integer, Out::Num(d)) if d.fract().is_zero() => put!(Int64Builder, Some(d.to_i64().ok_or_else(wrong)?)),
        (Kind::Integer, Out::Null) => put!(Int64Builder, None),
        (Kind::Date, Out::Date(d)) => put!(Date32Builder, Some(d.0)),
        (Kind::Date, Out::Null) => put!(Date32Builder, None),
        (Kind::DateTime, Out::DateTime(s)) => put!(TimestampSecondBuilder, Some(*s)),
        (Kind::DateTime, Out::Null) => put!(TimestampSecondBuilder, None),
        (Kind::Bool, Out::Bool(x)) => put!(BooleanBuilder, Some(*x)),
        (Kind::Bool, Out::Null) => put!(BooleanBuilder, None),
        _ => return Err(wrong()),
    }
    Ok(())
}

impl Table for ParquetTable {
    fn row(&mut self, cells: &[Out], out: &mut dyn Write) -> std::io::Result<()> {
        for ((b, v), column) in self.builders.iter_mut().zip(cells).zip(&self.columns) {
            append(b.as_mut(), v, column)?;
        }
        self.rows += 1;
        if self.rows >= GROUP {
            self.flush(out)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>, _summary: Option<&SummaryTable>, out: &mut dyn Write) -> std::io::Result<()> {
        self.flush(out)?;
        let ParquetTable { writer, buffer, .. } = *self;
        writer.close().map_err(io)?;
        buffer.drain(out)
    }
}

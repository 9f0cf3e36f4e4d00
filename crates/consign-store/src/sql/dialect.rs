//! The seam between the shared SQL and the two engines: [`Dialect`], implemented for
//! `sqlx::Sqlite` in `sqlite/dialect.rs` and for `sqlx::Postgres` in `postgres.rs`.
//!
//! The shared query code is generic over `DB: Dialect`. sqlx states what a database can bind,
//! decode and execute on as where-clauses (`T: Encode<DB>`, `&mut DB::Connection: Executor`),
//! and where-clauses are not implied: every generic function would have to repeat them. So the
//! capabilities are supertraits of `Dialect` instead (and bounds on its associated types),
//! which are implied wherever `DB: Dialect` is: [`Bind`] for every type the queries bind,
//! [`Column`] (on the row type) for every type they read, [`RowsAffected`] on the query
//! result, and executor access through [`Dialect::pool`] and [`Dialect::conn`]. Queries bind
//! with [`QueryExt::arg`] and [`PushArg::push_arg`] (sqlx's own `bind` and `push_bind` are
//! inherent methods that ask for the where-clauses) and read with [`RowExt::col`] and
//! [`RowExt::at`]. Adding a column or parameter of a new Rust type means adding that type to
//! the lists below.

use crate::{Durable, Engine};
use consign_core::message::outbox::OutboxMessage;
use consign_core::tracking::TrackedShipment;
use jiff::Timestamp;
use sqlx::query::Query;
use sqlx::query_builder::Separated;
use sqlx::{
    ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, QueryBuilder, Type,
};
use uuid::Uuid;

/// A query on `DB` with its arguments, as `sqlx::query` and `QueryBuilder::build` return it.
pub type DbQuery<'q, DB> = Query<'q, DB, <DB as Database>::Arguments>;

/// `DB` binds `T` (blanket-implemented for what sqlx can encode).
pub trait Bind<'t, T>: Database {
    fn bind_to<'q>(query: DbQuery<'q, Self>, value: T) -> DbQuery<'q, Self>;
    fn push_to(qb: &mut QueryBuilder<Self>, value: T);
    fn push_separated<Sep: std::fmt::Display>(list: &mut Separated<'_, Self, Sep>, value: T);
}

impl<'t, DB: Database, T: Encode<'t, DB> + Type<DB>> Bind<'t, T> for DB {
    fn bind_to<'q>(query: DbQuery<'q, Self>, value: T) -> DbQuery<'q, Self> {
        query.bind(value)
    }

    fn push_to(qb: &mut QueryBuilder<Self>, value: T) {
        qb.push_bind(value);
    }

    fn push_separated<Sep: std::fmt::Display>(list: &mut Separated<'_, Self, Sep>, value: T) {
        list.push_bind(value);
    }
}

/// `.arg(v)`: `Query::bind` for `DB: Dialect`.
pub trait QueryExt<DB: Database>: Sized {
    fn arg<'t, T>(self, value: T) -> Self
    where
        DB: Bind<'t, T>;
}

impl<DB: Database> QueryExt<DB> for DbQuery<'_, DB> {
    fn arg<'t, T>(self, value: T) -> Self
    where
        DB: Bind<'t, T>,
    {
        DB::bind_to(self, value)
    }
}

/// `.push_arg(v)`: `push_bind` of a `QueryBuilder` or of its separated lists, for
/// `DB: Dialect`.
pub trait PushArg<DB: Database> {
    fn push_arg<'t, T>(&mut self, value: T) -> &mut Self
    where
        DB: Bind<'t, T>;
}

impl<DB: Database> PushArg<DB> for QueryBuilder<DB> {
    fn push_arg<'t, T>(&mut self, value: T) -> &mut Self
    where
        DB: Bind<'t, T>,
    {
        DB::push_to(self, value);
        self
    }
}

impl<DB: Database, Sep: std::fmt::Display> PushArg<DB> for Separated<'_, DB, Sep> {
    fn push_arg<'t, T>(&mut self, value: T) -> &mut Self
    where
        DB: Bind<'t, T>,
    {
        DB::push_separated(self, value);
        self
    }
}

/// A row that decodes `T` (blanket-implemented for what sqlx can decode); read through
/// [`RowExt`].
pub trait Column<'r, T>: sqlx::Row {
    fn decode_named(&'r self, name: &str) -> sqlx::Result<T>;
    fn decode_at(&'r self, i: usize) -> sqlx::Result<T>;
}

impl<'r, R, T> Column<'r, T> for R
where
    R: sqlx::Row,
    T: Decode<'r, R::Database> + Type<R::Database>,
    for<'n> &'n str: ColumnIndex<R>,
    usize: ColumnIndex<R>,
{
    fn decode_named(&'r self, name: &str) -> sqlx::Result<T> {
        self.try_get(name)
    }

    fn decode_at(&'r self, i: usize) -> sqlx::Result<T> {
        self.try_get_unchecked(i)
    }
}

/// `Row::try_get` for `DB: Dialect`.
pub trait RowExt: sqlx::Row {
    /// The column named `name`, type-checked.
    fn col<'r, T>(&'r self, name: &str) -> sqlx::Result<T>
    where
        Self: Column<'r, T>,
    {
        self.decode_named(name)
    }

    /// Column `i` by position and without the driver's per-value type check, for the few
    /// decoders whose column list is a constant next to them (see `tracking.rs`).
    fn at<'r, T>(&'r self, i: usize) -> sqlx::Result<T>
    where
        Self: Column<'r, T>,
    {
        self.decode_at(i)
    }
}

impl<R: sqlx::Row> RowExt for R {}

/// How many rows a statement changed (each driver's result has this as an inherent method).
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

/// What Consign's SQL needs of an engine: the capabilities (supertraits, so implied wherever
/// `DB: Dialect` is) and the few places where the engines' SQL differs.
pub trait Dialect:
    Database<
        Arguments: IntoArguments<Self>,
        QueryResult: RowsAffected,
        Row: for<'r> Column<'r, i64>
                 + for<'r> Column<'r, Option<i64>>
                 + for<'r> Column<'r, bool>
                 + for<'r> Column<'r, Uuid>
                 + for<'r> Column<'r, Option<Uuid>>
                 + for<'r> Column<'r, String>
                 + for<'r> Column<'r, Option<String>>
                 + for<'r> Column<'r, &'r str>
                 + for<'r> Column<'r, Option<&'r str>>
                 + for<'r> Column<'r, Vec<u8>>
                 + for<'r> Column<'r, Option<Vec<u8>>>,
    > + for<'t> Bind<'t, i64>
    + for<'t> Bind<'t, Option<i64>>
    + for<'t> Bind<'t, bool>
    + for<'t> Bind<'t, Uuid>
    + for<'t> Bind<'t, Option<Uuid>>
    + for<'t> Bind<'t, String>
    + for<'t> Bind<'t, Option<String>>
    + for<'t> Bind<'t, &'t str>
    + for<'t> Bind<'t, Option<&'t str>>
    + for<'t> Bind<'t, Vec<u8>>
{
    const ENGINE: Engine;
    /// Whether several processes write at once (PostgreSQL): the shared SQL then locks the
    /// rows it reads to change (`FOR UPDATE`) and takes advisory locks. SQLite's single writer
    /// connection already serialises every write transaction.
    const CONCURRENT_WRITERS: bool;
    /// Whether one query text may hold several statements that run with one set of
    /// arguments (SQLite, where each statement is a round trip to the connection's thread).
    const MULTI_STATEMENT: bool;
    /// The statement that starts a write transaction, if not the driver's own `BEGIN`.
    const BEGIN: Option<&'static str>;
    /// The statement that refreshes the planner's statistics, if the engine needs one.
    const ANALYZE: Option<&'static str>;
    /// The statement that writes everything committed back to the database files.
    const CHECKPOINT: &'static str;

    /// What a transaction keeps to make its commit durable (SQLite: the WAL syncer).
    type Durability: Clone + Send + Sync + 'static;
    /// Called once a transaction's `COMMIT` has returned: what it still owes.
    fn committed(durability: &Self::Durability) -> Durable;

    /// The pool as an executor (sqlx's impl for `&Pool<DB>` asks for a where-clause).
    fn pool<'c>(pool: &'c Pool<Self>) -> impl Executor<'c, Database = Self>;
    /// A connection (or a transaction, through `DerefMut`) as an executor.
    fn conn<'c>(conn: &'c mut Self::Connection) -> impl Executor<'c, Database = Self>;

    /// Ids per statement for `id_list` (0: all in one).
    fn id_chunk() -> usize;
    /// Appends `<col> IN (…)`, or its equivalent, for these ids.
    fn id_list(qb: &mut QueryBuilder<Self>, col: &str, ids: &[Uuid]);
    /// `cols` of a batch's shipments joined with their tracking state (`lock`: locked).
    fn tracked_query(cols: &str, tenant: Uuid, ids: &[Uuid], lock: bool)
    -> Vec<QueryBuilder<Self>>;
    /// The same, as two queries that can run at once (facts, then locked state led by
    /// `t.shipment_id`), for an engine that gains from it.
    fn split_tracked_query(
        facts: &str,
        state: &str,
        tenant: Uuid,
        ids: &[Uuid],
    ) -> Option<(QueryBuilder<Self>, QueryBuilder<Self>)>;
    /// `id, carrier_id, tracking_number` of the tenant's shipments with these numbers.
    fn by_tracking_number(tenant: Uuid, numbers: &[String]) -> Vec<QueryBuilder<Self>>;
    /// Writes a batch's new tracking state (see `TrackingTx::update_tracked`).
    fn update_tracked(rows: &[TrackedShipment], now: Timestamp) -> Vec<QueryBuilder<Self>>;
    /// Inserts outbox messages (see `MessageTx::enqueue`).
    fn enqueue_outbox(messages: &[OutboxMessage]) -> Vec<QueryBuilder<Self>>;
}

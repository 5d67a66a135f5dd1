"""bench_sqlalchemy.py: SQLAlchemy's side of `scripts/bench --sqlalchemy`.

Runs one test of a suite with SQLAlchemy (Debian's python3-sqlalchemy, 1.4)
doing what the test of the same name in bench.lua does, on a fresh database,
and prints the seconds its workload took (set-up excluded); large_resultsets
also prints the peak resident set in KB.  Only for comparison: nothing here
is a test.

    python3 tests/bench/bench_sqlalchemy.py SUITE TEST NUM URL
"""
import sys
import time

from sqlalchemy import (Column, Integer, MetaData, String, Table, bindparam,
                        create_engine, select)
from sqlalchemy.orm import Session, registry

suite, testname, num, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
engine = create_engine(url)
metadata = MetaData()
customer = Table("customer", metadata,
                 Column("id", Integer, primary_key=True),
                 Column("name", String(255)),
                 Column("description", String(255)))
metadata.drop_all(engine)
metadata.create_all(engine)


class Customer:
    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)


registry().map_imperatively(Customer, customer)


def row_params(i):
    return {"name": "customer name %d" % i, "description": "customer description %d" % i}


def populate(n):
    with engine.begin() as conn:
        for start in range(0, n, 10000):
            conn.execute(customer.insert(),
                         [row_params(i) for i in range(start, min(start + 10000, n))])


def touch(row):
    return row.id + len(row.name) + len(row.description)


def add_all_flush(n, keys_given):
    session = Session(engine)
    for start in range(0, n, 1000):
        objs = []
        for i in range(start, min(start + 1000, n)):
            kw = row_params(i)
            if keys_given:
                kw["id"] = i + 1
            objs.append(Customer(**kw))
        session.add_all(objs)
        session.flush()
    session.commit()


def bulk_inserts_orm_bulk_save_objects(n):
    session = Session(engine)
    for start in range(0, n, 10000):
        session.bulk_save_objects([Customer(**row_params(i))
                                   for i in range(start, min(start + 10000, n))])
    session.commit()


def bulk_inserts_orm_bulk_insert_mappings(n):
    session = Session(engine)
    for start in range(0, n, 10000):
        session.bulk_insert_mappings(Customer, [row_params(i)
                                                for i in range(start, min(start + 10000, n))])
    session.commit()


def bulk_inserts_core_executemany(n):
    with engine.begin() as conn:
        conn.execute(customer.insert(), [row_params(i) for i in range(n)])


def bulk_inserts_core_multirow(n):
    with engine.begin() as conn:
        for start in range(0, n, 500):
            conn.execute(customer.insert().values(
                [row_params(i) for i in range(start, min(start + 500, n))]))


def bulk_updates_orm_flush(n):
    session = Session(engine)
    for start in range(0, n, 1000):
        objs = session.query(Customer).filter(Customer.id.between(start + 1, start + 1000)).all()
        for c in objs:
            c.description = c.description + " updated"
        session.flush()
    session.commit()


def bulk_updates_core_executemany(n):
    with engine.begin() as conn:
        conn.execute(customer.update().where(customer.c.id == bindparam("id_")),
                     [{"id_": i, "name": "updated name %d" % i} for i in range(1, n + 1)])


def large_resultsets_orm_objects(n):
    session = Session(engine)
    total = sum(touch(c) for c in session.query(Customer).all())
    session.close()
    return total


def large_resultsets_orm_columns(n):
    session = Session(engine)
    total = sum(touch(r) for r in
                session.query(Customer.id, Customer.name, Customer.description).all())
    session.close()
    return total


def large_resultsets_core_rows(n):
    with engine.connect() as conn:
        return sum(touch(r) for r in conn.execute(customer.select()))


def large_resultsets_core_fetchall(n):
    with engine.connect() as conn:
        return sum(touch(r) for r in conn.execute(customer.select()).fetchall())


def nth_id(i, n):
    return (i * 7919) % n + 1


def short_selects_orm_query(n):
    session = Session(engine)
    total = 0
    for i in range(n):
        total += touch(session.query(Customer).filter(Customer.id == nth_id(i, n)).one())
    session.close()
    return total


def short_selects_orm_get(n):
    session = Session(engine)
    total = sum(touch(session.get(Customer, nth_id(i, n))) for i in range(n))
    session.close()
    return total


def short_selects_core_new_stmt_each_time(n):
    with engine.connect() as conn:
        return sum(touch(conn.execute(customer.select().where(customer.c.id == nth_id(i, n)))
                         .first()) for i in range(n))


def short_selects_core_reuse_stmt(n):
    stmt = customer.select().where(customer.c.id == bindparam("id"))
    with engine.connect() as conn:
        return sum(touch(conn.execute(stmt, {"id": nth_id(i, n)}).first()) for i in range(n))


def single_inserts_orm(n):
    for i in range(n):
        session = Session(engine)
        session.add(Customer(**row_params(i)))
        session.commit()


def single_inserts_core(n):
    ins = customer.insert()
    for i in range(n):
        with engine.begin() as conn:
            conn.execute(ins, row_params(i))


tests = {
    "bulk_inserts_orm_flush_no_pk": lambda n: add_all_flush(n, False),
    "bulk_inserts_orm_flush_pk_given": lambda n: add_all_flush(n, True),
}
tests.update({name: fn for name, fn in globals().items()
              if callable(fn) and name.startswith(("bulk_", "large_", "short_", "single_"))})
fn = tests.get(suite + "_" + testname)
if fn is None:
    sys.exit("unknown test %s.%s" % (suite, testname))
if suite not in ("bulk_inserts", "single_inserts"):
    populate(num)
t0 = time.monotonic()
fn(num)
print("%.6f" % (time.monotonic() - t0))
if suite == "large_resultsets":
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print("rss " + line.split()[1])
metadata.drop_all(engine)
engine.dispose()

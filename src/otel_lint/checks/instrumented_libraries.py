"""What the calls that contrib instrumentations trace look like in source.

Two tables: client libraries (HTTP clients, database drivers, cloud SDKs, message producers),
whose every call the instrumentation wraps in a CLIENT or PRODUCER span, and web frameworks,
whose every request the instrumentation wraps in a SERVER span. Each entry is keyed by the
instrumentation's name as project facts spell it (``instrumented:<name>``): the module under
``opentelemetry.instrumentation.`` and the distribution suffix with ``-`` read as ``_``.

The shapes are deliberately narrow. A call counts only when the file shows where its receiver
comes from (an import, a constructor assigned to the receiver, or a receiver name the library's
documentation uses for its client), because a false "this duplicates the instrumentation" teaches
users to ignore the rule. Shapes were written against the 0.66b contrib instrumentations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_DBAPI_CALLS = frozenset({"execute", "executemany", "callproc"})
_DBAPI_RECEIVERS = r"cur|cursor|conn|connection|db|dbconn|db_conn"


@dataclass(frozen=True)
class ClientLibrary:
    """A library whose client calls an instrumentation traces, one span per call."""

    #: The instrumentation's name in ``instrumented:<name>`` facts.
    instrumentation: str
    #: Top-level import names; a file that imports none of them is not using the library.
    modules: tuple[str, ...]
    #: Dotted module-level callables that perform one traced operation (``requests.get``).
    functions: frozenset[str] = frozenset()
    #: Dotted callables that return a client, connection, pool or cursor (``httpx.Client``).
    constructors: frozenset[str] = frozenset()
    #: Methods of a client that return another client object (``conn.cursor()``).
    factories: frozenset[str] = frozenset()
    #: Methods of a client that perform one traced operation.
    methods: frozenset[str] = frozenset()
    #: Every public method of a client is a traced operation (boto3 clients, gRPC stubs),
    #: except those in ``methods_excluded``; names must match ``method_pattern``.
    any_method: bool = False
    method_pattern: str = r"^[a-z_][a-z0-9_]*$"
    methods_excluded: frozenset[str] = frozenset()
    #: Conventional variable names for a client (matched against the receiver's last name)
    #: when the file imports the library but does not show the client being built.
    receivers: str = ""
    #: Methods specific enough to count on any receiver, even in a file that does not import
    #: the library (Celery's ``task.apply_async``: tasks are defined elsewhere).
    distinctive_methods: frozenset[str] = frozenset()

    def receiver_named(self, name: str) -> bool:
        return (
            bool(self.receivers) and re.fullmatch(self.receivers, name, re.IGNORECASE) is not None
        )

    def performs(self, method: str) -> bool:
        """Whether calling ``method`` on one of this library's clients is a traced operation."""
        if method in self.methods:
            return True
        if not self.any_method or method in self.methods_excluded or method.startswith("_"):
            return False
        return re.match(self.method_pattern, method) is not None


CLIENT_LIBRARIES: tuple[ClientLibrary, ...] = (
    ClientLibrary(
        "requests",
        ("requests",),
        functions=frozenset(f"requests.{verb}" for verb in _HTTP_VERBS),
        constructors=frozenset({"requests.Session", "requests.session"}),
        methods=_HTTP_VERBS | {"send"},
        receivers=r"session|http|http_session|requests_session",
    ),
    ClientLibrary(
        "httpx",
        ("httpx",),
        functions=frozenset(f"httpx.{verb}" for verb in _HTTP_VERBS | {"stream"}),
        constructors=frozenset({"httpx.Client", "httpx.AsyncClient"}),
        methods=_HTTP_VERBS | {"send", "stream"},
        receivers=r"client|http|http_client|async_client|httpx_client",
    ),
    ClientLibrary(
        "urllib3",
        ("urllib3",),
        functions=frozenset({"urllib3.request"}),
        constructors=frozenset(
            {
                "urllib3.PoolManager",
                "urllib3.ProxyManager",
                "urllib3.HTTPConnectionPool",
                "urllib3.HTTPSConnectionPool",
                "urllib3.connection_from_url",
            }
        ),
        methods=frozenset({"request", "urlopen", "request_encode_url", "request_encode_body"}),
        receivers=r"http|pool|pool_manager|manager",
    ),
    ClientLibrary(
        "urllib",
        ("urllib",),
        functions=frozenset({"urllib.request.urlopen"}),
        constructors=frozenset({"urllib.request.build_opener"}),
        methods=frozenset({"open"}),
        receivers=r"opener",
    ),
    ClientLibrary(
        "aiohttp_client",
        ("aiohttp",),
        functions=frozenset({"aiohttp.request"}),
        constructors=frozenset({"aiohttp.ClientSession"}),
        methods=_HTTP_VERBS | {"ws_connect"},
        receivers=r"session|http|http_session|client_session|aiohttp_session",
    ),
    ClientLibrary(
        "sqlalchemy",
        ("sqlalchemy",),
        constructors=frozenset(
            {
                "sqlalchemy.create_engine",
                "sqlalchemy.ext.asyncio.create_async_engine",
                "sqlalchemy.orm.Session",
                "sqlalchemy.ext.asyncio.AsyncSession",
            }
        ),
        factories=frozenset({"connect", "begin"}),
        methods=frozenset({"execute", "exec_driver_sql", "scalar", "scalars"}),
        receivers=r"session|db|db_session|conn|connection|engine",
    ),
    ClientLibrary(
        "psycopg2",
        ("psycopg2",),
        constructors=frozenset({"psycopg2.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "psycopg",
        ("psycopg",),
        constructors=frozenset(
            {"psycopg.connect", "psycopg.AsyncConnection.connect", "psycopg.Connection.connect"}
        ),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "asyncpg",
        ("asyncpg",),
        constructors=frozenset({"asyncpg.connect", "asyncpg.create_pool"}),
        factories=frozenset({"acquire"}),
        methods=frozenset(
            {"execute", "executemany", "fetch", "fetchrow", "fetchval", "copy_records_to_table"}
        ),
        receivers=r"conn|connection|pool|db",
    ),
    ClientLibrary(
        "mysql",
        ("mysql",),
        constructors=frozenset({"mysql.connector.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "mysqlclient",
        ("MySQLdb",),
        constructors=frozenset({"MySQLdb.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "pymysql",
        ("pymysql",),
        constructors=frozenset({"pymysql.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "pymssql",
        ("pymssql",),
        constructors=frozenset({"pymssql.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "sqlite3",
        ("sqlite3",),
        constructors=frozenset({"sqlite3.connect"}),
        factories=frozenset({"cursor"}),
        methods=_DBAPI_CALLS | {"executescript"},
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "aiopg",
        ("aiopg",),
        constructors=frozenset({"aiopg.connect", "aiopg.create_pool"}),
        factories=frozenset({"cursor", "acquire"}),
        methods=_DBAPI_CALLS,
        receivers=_DBAPI_RECEIVERS,
    ),
    ClientLibrary(
        "pymongo",
        ("pymongo",),
        constructors=frozenset({"pymongo.MongoClient"}),
        # A database or collection is reached through attributes or subscripts of the client.
        factories=frozenset({"get_database", "get_collection"}),
        methods=frozenset(
            {
                "find",
                "find_one",
                "insert_one",
                "insert_many",
                "update_one",
                "update_many",
                "replace_one",
                "delete_one",
                "delete_many",
                "aggregate",
                "count_documents",
                "find_one_and_update",
                "find_one_and_delete",
                "find_one_and_replace",
                "bulk_write",
                "distinct",
            }
        ),
        receivers=r"collection|coll|\w+_collection",
    ),
    ClientLibrary(
        "redis",
        ("redis",),
        constructors=frozenset(
            {
                "redis.Redis",
                "redis.StrictRedis",
                "redis.from_url",
                "redis.Redis.from_url",
                "redis.asyncio.Redis",
            }
        ),
        methods=frozenset(
            {
                "get",
                "set",
                "setex",
                "mget",
                "mset",
                "delete",
                "incr",
                "decr",
                "expire",
                "hget",
                "hset",
                "hgetall",
                "hdel",
                "lpush",
                "rpush",
                "lpop",
                "rpop",
                "lrange",
                "sadd",
                "srem",
                "smembers",
                "zadd",
                "zrange",
                "publish",
                "exists",
            }
        ),
        receivers=r"redis|redis_client|rds|redis_conn",
    ),
    ClientLibrary(
        "pymemcache",
        ("pymemcache",),
        constructors=frozenset(
            {"pymemcache.client.base.Client", "pymemcache.Client", "pymemcache.client.Client"}
        ),
        methods=frozenset(
            {"get", "set", "get_many", "set_many", "delete", "incr", "decr", "add", "replace"}
        ),
        receivers=r"memcache|memcached|mc",
    ),
    ClientLibrary(
        "botocore",
        ("boto3", "botocore"),
        constructors=frozenset({"boto3.client", "boto3.session.Session.client"}),
        factories=frozenset({"client"}),
        any_method=True,
        methods_excluded=frozenset(
            {
                "get_paginator",
                "get_waiter",
                "can_paginate",
                "close",
                "generate_presigned_url",
                "generate_presigned_post",
                "meta",
                "exceptions",
            }
        ),
        receivers=r"s3|sqs|sns|ses|dynamodb|ddb|kinesis|lambda_client|\w+_client",
    ),
    ClientLibrary(
        "grpc",
        ("grpc",),
        # Generated stub methods are the service's RPC names, in CamelCase.
        any_method=True,
        method_pattern=r"^[A-Z][A-Za-z0-9]*$",
        receivers=r"stub|\w+_stub",
    ),
    ClientLibrary(
        "celery",
        ("celery",),
        methods=frozenset({"send_task"}),
        receivers=r"app|celery|celery_app",
        distinctive_methods=frozenset({"apply_async", "delay"}),
    ),
    ClientLibrary(
        "elasticsearch",
        ("elasticsearch",),
        constructors=frozenset({"elasticsearch.Elasticsearch", "elasticsearch.AsyncElasticsearch"}),
        methods=frozenset(
            {"search", "index", "get", "delete", "update", "bulk", "count", "msearch", "exists"}
        ),
        receivers=r"es|elastic|elasticsearch|es_client",
    ),
    ClientLibrary(
        "pika",
        ("pika",),
        factories=frozenset({"channel"}),
        constructors=frozenset({"pika.BlockingConnection"}),
        methods=frozenset({"basic_publish"}),
        receivers=r"channel|ch|chan",
    ),
    ClientLibrary(
        "kafka_python",
        ("kafka",),
        constructors=frozenset({"kafka.KafkaProducer"}),
        methods=frozenset({"send"}),
        receivers=r"producer|kafka_producer",
    ),
    ClientLibrary(
        "confluent_kafka",
        ("confluent_kafka",),
        constructors=frozenset({"confluent_kafka.Producer"}),
        methods=frozenset({"produce"}),
        receivers=r"producer|kafka_producer",
    ),
    ClientLibrary(
        "aiokafka",
        ("aiokafka",),
        constructors=frozenset({"aiokafka.AIOKafkaProducer"}),
        methods=frozenset({"send", "send_and_wait"}),
        receivers=r"producer|kafka_producer",
    ),
    ClientLibrary(
        "cassandra",
        ("cassandra",),
        factories=frozenset({"connect"}),
        constructors=frozenset({"cassandra.cluster.Cluster"}),
        methods=frozenset({"execute", "execute_async"}),
        receivers=r"session|cassandra_session",
    ),
)


_HTTP_METHOD_NAMES = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})


@dataclass(frozen=True)
class WebFramework:
    """A web framework whose instrumentation opens a SERVER span around every request."""

    instrumentation: str
    modules: tuple[str, ...]
    #: ``@<anything>.<name>(path, ...)`` decorators that register a request handler.
    route_decorators: frozenset[str] = frozenset()
    #: Method names that handle a request on a resource or handler class.
    handler_methods: frozenset[str] = frozenset()
    #: Calls that register a handler by reference (``Route("/", endpoint)``, ``add_get``).
    route_registrations: frozenset[str] = frozenset()
    #: Functions whose first parameter is named ``request`` are views (Django).
    request_parameter_views: bool = False


WEB_FRAMEWORKS: tuple[WebFramework, ...] = (
    WebFramework(
        "fastapi",
        ("fastapi",),
        route_decorators=_HTTP_METHOD_NAMES | {"api_route", "route", "trace"},
        route_registrations=frozenset({"add_api_route"}),
    ),
    WebFramework(
        "starlette",
        ("starlette",),
        route_decorators=frozenset({"route"}),
        route_registrations=frozenset({"Route", "add_route"}),
    ),
    WebFramework("flask", ("flask",), route_decorators=_HTTP_METHOD_NAMES | {"route"}),
    WebFramework(
        "aiohttp_server",
        ("aiohttp",),
        route_decorators=_HTTP_METHOD_NAMES | {"route", "view"},
        route_registrations=frozenset(
            {f"add_{verb}" for verb in _HTTP_METHOD_NAMES} | {"add_route"}
        ),
    ),
    WebFramework(
        "falcon",
        ("falcon",),
        handler_methods=frozenset(f"on_{verb}" for verb in _HTTP_METHOD_NAMES),
    ),
    WebFramework("tornado", ("tornado",), handler_methods=_HTTP_METHOD_NAMES),
    WebFramework(
        "django",
        ("django", "rest_framework"),
        handler_methods=_HTTP_METHOD_NAMES,
        request_parameter_views=True,
    ),
)

#!/usr/bin/env python3
"""Decodes OTLP/HTTP JSON bodies with the official protobuf definitions (opentelemetry-proto from
PyPI) and prints what they hold as JSON, for Sluice's tests. Fails on anything the schema rejects."""
import json, sys
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

records = []
for path in sys.argv[1:]:
    request = ExportLogsServiceRequest()
    with open(path) as f:
        json_format.Parse(f.read(), request)  # raises ParseError on unknown fields or wrong types
    for resource_logs in request.resource_logs:
        resource = {kv.key: json_format.MessageToDict(kv.value) for kv in resource_logs.resource.attributes}
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                records.append({
                    "resource": resource,
                    "scope": scope_logs.scope.name,
                    "timeUnixNano": record.time_unix_nano,
                    "severityNumber": record.severity_number,
                    "severityText": record.severity_text,
                    "body": record.body.string_value,
                    "attributes": {kv.key: json_format.MessageToDict(kv.value) for kv in record.attributes},
                })
print(json.dumps(records))

"""System area (AS, LOG): health, the OpenAPI document, tenant settings, admin audit log,
and housekeeping jobs."""

"""Helpers of devcloud/cloud: bring up a small OpenStack on 127.0.0.1 (stdlib only)."""

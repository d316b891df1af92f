"""What the fake hypervisor knows about its instances, kept on disk.

One small JSON file per instance under ``<state_dir>/instances/`` so a
restarted nova-compute finds its guests (and their power states) again.
"""

import json
import os


class InstanceStore:
    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def _path(self, uuid):
        return os.path.join(self.directory, '%s.json' % uuid)

    def save(self, uuid, **record):
        record['uuid'] = uuid
        tmp = self._path(uuid) + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(record, f, sort_keys=True)
        os.replace(tmp, self._path(uuid))

    def load(self, uuid):
        try:
            with open(self._path(uuid)) as f:
                return json.load(f)
        except (FileNotFoundError, ValueError):
            return None

    def load_all(self):
        records = {}
        for fn in sorted(os.listdir(self.directory)):
            if fn.endswith('.json'):
                record = self.load(fn[:-len('.json')])
                if record:
                    records[record['uuid']] = record
        return records

    def delete(self, uuid):
        try:
            os.unlink(self._path(uuid))
        except FileNotFoundError:
            pass

"""SparsePosixBackupDriver: cinder's POSIX backup, with holes read as one zero buffer."""

import os

import pytest

MiB = 1024 ** 2


@pytest.fixture
def drivers(cinder_conf, tmp_path):
    """(ours, cinder's PosixBackupDriver), each backing up into its own dir."""
    from cinder import context
    from cinder.backup.drivers import posix
    from heps_devcloud import cinder_backup

    cinder_conf.set_override('backup_file_size', 4 * MiB)
    cinder_conf.set_override('backup_sha_block_size_bytes', MiB)
    cinder_conf.set_override('backup_compression_algorithm', 'zstd')
    ctx = context.get_admin_context()
    made = []
    for cls, name in ((cinder_backup.SparsePosixBackupDriver, 'ours'),
                      (posix.PosixBackupDriver, 'cinder')):
        path = tmp_path / name
        path.mkdir()
        drv = cls(ctx, backup_path=str(path))
        drv.put_container('c')
        made.append(drv)
    yield made
    for opt in ('backup_file_size', 'backup_sha_block_size_bytes',
                'backup_compression_algorithm'):
        cinder_conf.clear_override(opt)


@pytest.fixture
def sparse_file(tmp_path):
    """12 MiB, data only in [5 MiB, 5 MiB + 5)."""
    path = tmp_path / 'volume.img'
    with open(path, 'wb') as f:
        f.truncate(12 * MiB)
        f.seek(5 * MiB)
        f.write(b'hello')
    return path


def test_reader_gives_holes_as_the_shared_zero_buffer(sparse_file):
    from heps_devcloud import cinder_backup

    zeros = cinder_backup.ZeroBuffers()
    with open(sparse_file, 'rb') as f:
        reader = cinder_backup.SparseReader(f, zeros)
        chunks = []
        while True:
            offset = reader.tell()
            data = reader.read(4 * MiB)
            if not data:
                break
            chunks.append((offset, data))
    assert [o for o, _ in chunks] == [0, 4 * MiB, 8 * MiB]
    assert [zeros.is_zero(d) for _, d in chunks] == [True, False, True]
    assert chunks[1][1][MiB:MiB + 5] == b'hello'
    assert len(chunks[1][1]) == 4 * MiB
    assert chunks[0][1] is chunks[2][1]


def test_chunks_are_stored_exactly_as_cinder_stores_them(drivers, sparse_file):
    """Same objects and metadata as PosixBackupDriver: restores do not depend on us."""
    from heps_devcloud import cinder_backup

    metas, shas = [], []
    for drv in drivers:
        meta = {'prefix': 'volume_1_backup_1', 'list': [], 'id': 1}
        sha = []
        with open(sparse_file, 'rb') as f:
            reader = cinder_backup.SparseReader(f, drv._zeros) \
                if hasattr(drv, '_zeros') else f
            while True:
                offset = f.tell()
                data = reader.read(4 * MiB)
                if not data:
                    break
                sha += drv._calculate_sha(data)
                drv._backup_chunk(None, 'c', data, offset, meta, None)
        metas.append(meta)
        shas.append(sha)
    assert metas[0] == metas[1]
    assert shas[0] == shas[1] and len(shas[0]) == 12
    ours, theirs = (drv.backup_path for drv in drivers)
    for entry in metas[0]['list']:
        name = next(iter(entry))
        with open(os.path.join(ours, 'c', name), 'rb') as a, \
                open(os.path.join(theirs, 'c', name), 'rb') as b:
            assert a.read() == b.read()


def test_restore_decompresses_zeros_once_and_skips_writing_them(drivers,
                                                                tmp_path):
    from cinder.backup import chunkeddriver

    ours = drivers[0]
    body = ours.compressor.compress(bytes(4 * MiB))
    dec = ours._get_compressor('zstd')
    first = dec.decompress(body)
    assert first == bytes(4 * MiB) and dec.decompress(body) is first
    assert ours._get_compressor('ZSTD') is dec
    assert dec.decompress(ours.compressor.compress(b'data')) == b'data'

    target = tmp_path / 'new.img'
    with open(target, 'wb') as f:
        f.truncate(8 * MiB)
    with open(target, 'r+b') as f:
        chunkeddriver._write_nonzero(f, 0, first)
        chunkeddriver._write_nonzero(f, 4 * MiB, b'\0' * 10 + b'x')
    assert os.stat(target).st_blocks * 512 <= 64 * 1024
    with open(target, 'rb') as f:
        f.seek(4 * MiB + 10)
        assert f.read(1) == b'x'

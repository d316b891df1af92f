from heps_devcloud import pattern
from heps_devcloud import persist


def test_xbm_is_well_formed_and_short_lined():
    xbm = pattern.render('alice-desktop', ['HOST X']).xbm()
    head = xbm.splitlines()[:3]
    assert head[0] == '#define heps_width 1024'
    assert head[1] == '#define heps_height 768'
    assert max(len(line) for line in xbm.splitlines()) < 255  # libX11 limit
    assert xbm.count('0x') == 1024 * 768 // 8


def test_name_is_drawn_big_and_wrapped():
    assert pattern._name_lines('x') == (16, ['x'])
    scale, lines = pattern._name_lines('alice-imaging-desktop-01')
    assert scale >= 8 and len(lines) == 2
    scale, lines = pattern._name_lines('n' * 200)
    assert 1 <= len(lines) <= 3


def test_unknown_characters_do_not_fail():
    pattern.render('desktop ✓ — 实验', ['ünïcode'])


def test_store_roundtrip(tmp_path):
    store = persist.InstanceStore(str(tmp_path / 'i'))
    store.save('u1', name='instance-1', power_state=1)
    store.save('u2', name='instance-2', power_state=4)
    assert store.load('u1')['power_state'] == 1
    assert set(store.load_all()) == {'u1', 'u2'}
    store.delete('u1')
    store.delete('u1')
    assert store.load('u1') is None
    assert set(store.load_all()) == {'u2'}

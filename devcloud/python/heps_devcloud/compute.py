"""``heps-devcloud-compute``: nova-compute with HepsFakeDriver loadable.

nova resolves ``compute_driver`` inside the ``nova.virt`` package, so the
driver module is aliased there as ``nova.virt.heps_fake``. ``nova.cmd.compute``
must be imported first: it decides on eventlet monkey patching (nova 34's
compute defaults to native threading and then forbids a later eventlet
import), and importing other nova modules before it pulls eventlet in early.
"""

import sys


def main():
    import nova.cmd.compute  # first: concurrency mode / monkey patching
    import nova.virt

    from heps_devcloud import virt

    sys.modules['nova.virt.heps_fake'] = virt
    nova.virt.heps_fake = virt
    return nova.cmd.compute.main()


if __name__ == '__main__':
    sys.exit(main())

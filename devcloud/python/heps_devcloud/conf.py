"""Options of the fake-GPU compute driver, group ``[heps_fake]``."""

from oslo_config import cfg

GROUP = 'heps_fake'

OPTS = [
    cfg.StrOpt('state_dir',
               help='Per-compute-host directory for the driver state: instance '
                    'power states, display pid files and logs, and nova\'s '
                    'compute_id file ([DEFAULT] state_path is pointed here). '
                    'Required.'),
    cfg.IntOpt('whole_gpus', default=2, min=0,
               help='Whole GPUs (resource class CUSTOM_HEPS_GPU_A100) on the '
                    'compute node resource provider.'),
    cfg.IntOpt('vgpus', default=4, min=0,
               help='vGPUs (resource class VGPU) on the child provider '
                    '<nodename>_pgpu0, which has trait CUSTOM_HEPS_GPU_A16.'),
    cfg.IntOpt('vnc_port_base', default=25900, min=1024, max=65000,
               help='First TCP port (127.0.0.1) of the Xvnc displays.'),
    cfg.IntOpt('spice_port_base', default=26900, min=1024, max=65000,
               help='First TCP port (127.0.0.1) of the SPICE displays.'),
    cfg.IntOpt('display_base', default=40, min=1, max=5000,
               help='First X display number used for consoles.'),
    cfg.IntOpt('max_displays', default=6, min=1,
               help='Most display servers running at once on this host; when '
                    'a new one is needed, the least recently used display of '
                    'another instance is stopped.'),
    cfg.IntOpt('display_slots', default=20, min=1,
               help='How many display numbers/ports above the bases may be '
                    'tried (slots used by anything else are skipped).'),
]


def register(conf=cfg.CONF):
    conf.register_opts(OPTS, group=GROUP)

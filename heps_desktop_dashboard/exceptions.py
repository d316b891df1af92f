"""The plugin's own error types, registered with Horizon as recoverable.

Plain Python (no Django, no clients): the enabled/ files import this module while
Horizon's settings are still loading.
"""


class DesktopError(Exception):
    """Base of the errors the plugin reports to the user as a Horizon message."""


class InvalidDesktopMetadata(DesktopError, ValueError):
    """A ``heps:*`` value that does not follow the convention."""


class InvalidProfile(DesktopError, ValueError):
    """A flavor that claims to be a profile but whose specs are inconsistent."""


class NoDesktopNetwork(DesktopError, LookupError):
    """No network to attach a new desktop to."""


class FeatureNotAvailable(DesktopError):
    def __init__(self, feature):
        super().__init__(f"the compute service offers no microversion for {feature}")
        self.feature = feature


class InvalidMarker(DesktopError, ValueError):
    def __init__(self, marker):
        super().__init__("unknown page marker")
        self.marker = marker


RECOVERABLE = (DesktopError,)

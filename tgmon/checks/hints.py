"""The next steps, in the appliance's own words (admin role and menu item).

One place for them, so every check tells the on-call admin the same thing.
"""

REMOVE_LOCK = 'admin update -> "Remove update lock"'
DOWNLOAD = 'admin update -> "Download"'
AUTO_UPDATE = 'admin update -> "Auto-Update"'
AVAILABLE_HOTFIXES = 'admin update -> "Available hotfixes"'
ALWAYS_ALL_HOTFIXES = 'admin update -> "Always install all hotfixes"'
SCHEDULED_UPDATE = 'admin update -> scheduled update settings'
MAINTENANCE = 'admin maint -> "Maintenance operation"'
VNC_LOGIN = 'admin maint -> enable VNC login'
OLDSTABLE = ('Customer service -> "Full update from Oldstable" '
             '(or "Partial update from Oldstable")')
SERVER_ACCESS = "check the node's access to the update server (proxy, firewall, DNS)"
REBOOT = "reboot the node at a quiet time (logged-in users are disconnected)"

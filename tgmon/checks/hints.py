"""The next steps, in the appliance's own words (admin role and menu item).

One place for them, so every check tells the on-call admin the same thing.
Worded to survive a notification: none of the characters Nagios strips from
notification macros (`` ` ~ $ & | ' " < > ``), no rule ids, short.
"""

REMOVE_LOCK = "as admin update choose Remove update lock"
DOWNLOAD = "as admin update choose Download"
AUTO_UPDATE = "as admin update start Auto-Update"
AVAILABLE_HOTFIXES = "as admin update open Available hotfixes"
ALWAYS_ALL_HOTFIXES = "as admin update set Always install all hotfixes to yes"
SCHEDULED_UPDATE = "in the admin update schedule settings"
MAINTENANCE = "as admin maint choose Maintenance operation"
VNC_LOGIN = "as admin maint enable VNC login"
OLDSTABLE = "in Customer service choose Full update from Oldstable (or Partial)"
SERVER_ACCESS = "check the update server access (proxy, firewall, DNS)"
REBOOT = "reboot the node at a quiet time (users are disconnected)"

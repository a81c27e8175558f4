"""场地: the subdistrict's and communities' venues (资源库), kept by staff and admins (leaders: the dashboards)."""
from core.platform.entities import Entity, Screen, Unique, register
from schemas.venue import Venue

VENUE = register(Entity(
    name="venue", table="venues", label="场地", schema=Venue, write_roles=frozenset({"admin", "staff"}),
    hub_owned=True,  # each hub's own venues (issue 20): stamped, scoped, written by its own staff
    unique=(Unique("name"),),
    screen=Screen("场地资源", "venues", "资源与需求", icon=":material/meeting_room:",
                  columns=("id", "name", "community", "address", "capacity", "opening_hours", "owner", "contact_phone"),
                  filters=("community",), search=("name", "address", "owner"),
                  example={"name": "文海社区示例活动室", "address": "文海南路1号", "capacity": 60,
                           "community": "文海社区", "owner": "文海社区居委会"}),
))

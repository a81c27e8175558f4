"""资源与需求 (issue 18): what the hub pools and links — venue and equipment bookings, partners and their
contributions (企业公益认领), community needs, volunteers, residents' satisfaction, beneficiaries, publicity.
It sits above monitoring and incubation (a booking names an activity, a contribution funds a project, a need is
answered by ideas, applications and projects) and below the dashboards."""

#!/usr/bin/env python3
"""Writes the test directory's entries as LDIF (for slapadd) to stdout.

    directory.py PEOPLE

PEOPLE people under dc=embark,dc=test, in two OUs (engineering, sales),
each OU's first ten people managing the rest; every 25th person is locked
(pwdAccountLockedTime, OpenLDAP's "disabled"); groups with members (and
memberOf, which slapadd does not compute); a service account for Embark to
bind as; and a person whose DN needs escaping (O'Brien with a comma and a
plus) with one report. Deterministic, so tests can name people.
"""
import sys

BASE = "dc=embark,dc=test"
SYNC_DN = f"cn=embark-sync,ou=services,{BASE}"
SYNC_PASSWORD = "sync-secret-for-tests"


def entry(dn, *lines):
    return "\n".join([f"dn: {dn}", *lines]) + "\n\n"


def main():
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    out = sys.stdout
    out.write(entry(BASE, "objectClass: dcObject", "objectClass: organization", "o: Embark test directory", "dc: embark"))
    for ou in ("people", "groups", "services"):
        out.write(entry(f"ou={ou},{BASE}", "objectClass: organizationalUnit", f"ou: {ou}"))
    for ou in ("engineering", "sales"):
        out.write(entry(f"ou={ou},ou=people,{BASE}", "objectClass: organizationalUnit", f"ou: {ou}"))
    out.write(entry(SYNC_DN, "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: embark-sync",
                    f"userPassword: {SYNC_PASSWORD}"))

    members = {"engineering-all": [], "sales-all": [], "managers": []}
    dns = []
    for i in range(1, people + 1):
        ou = "engineering" if i % 2 else "sales"
        dns.append(f"uid=p{i:05d},ou={ou},ou=people,{BASE}")
    for i in range(1, people + 1):
        dn = dns[i - 1]
        ou = "engineering" if i % 2 else "sales"
        rank = (i - 1) // 2  # position within its OU
        manager = dns[(rank % 10) * 2 + (0 if ou == "engineering" else 1)] if rank >= 10 else None
        group = f"{ou}-all"
        members[group].append(dn)
        groups = [group]
        if rank < 10:
            members["managers"].append(dn)
            groups.append("managers")
        lines = [
            "objectClass: inetOrgPerson",
            f"uid: p{i:05d}",
            f"cn: Person {i:05d}",
            f"givenName: Person",
            f"sn: {i:05d}",
            f"displayName: Person {i:05d}",
            f"mail: p{i:05d}@embark.test",
            f"employeeNumber: E{i:05d}",
            f"title: {'Manager' if rank < 10 else 'Engineer' if ou == 'engineering' else 'Account executive'}",
            f"departmentNumber: {ou.capitalize()}",
            f"l: {'Lyon' if i % 3 else 'Oslo'}",
            f"telephoneNumber: +33 1 00 {i:05d}",
        ]
        if manager:
            lines.append(f"manager: {manager}")
        lines += [f"memberOf: cn={g},ou=groups,{BASE}" for g in groups]
        if i % 25 == 0:
            lines.append("pwdAccountLockedTime: 000001010000Z")
        out.write(entry(dn, *lines))

    # A DN with a comma and a plus, managed by the first engineer: its value
    # must be escaped wherever Embark puts it in a filter.
    odd = f"cn=O\\2C Brien\\+x,ou=sales,ou=people,{BASE}"
    out.write(entry(odd, "objectClass: inetOrgPerson", "cn: O, Brien+x", "sn: O'Brien", "displayName: Pat O'Brien",
                    "mail: pat.obrien@embark.test", "employeeNumber: E-OBRIEN", f"manager: {dns[0]}",
                    f"memberOf: cn=sales-all,ou=groups,{BASE}"))
    members["sales-all"].append(odd)
    # Reports to O'Brien: found only by a filter that escapes the DN.
    report = f"uid=obrien-report,ou=sales,ou=people,{BASE}"
    out.write(entry(report, "objectClass: inetOrgPerson", "uid: obrien-report", "cn: Robin Report", "sn: Report",
                    "mail: robin.report@embark.test", "employeeNumber: E-REPORT", f"manager: {odd}",
                    f"memberOf: cn=sales-all,ou=groups,{BASE}"))
    members["sales-all"].append(report)

    for group, dns_in in members.items():
        out.write(entry(f"cn={group},ou=groups,{BASE}", "objectClass: groupOfNames", f"cn: {group}",
                        *[f"member: {m}" for m in dns_in]))


if __name__ == "__main__":
    main()

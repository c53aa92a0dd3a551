# shellcheck shell=bash disable=SC2154 # top, result() come from check.sh
# What make check-debug adds to the suite (sourced by guest/check.sh when
# CHECK_DEBUG is set): after every suite has run and exited, a kmemleak
# scan must find no unreferenced object. The scan runs twice, as
# Documentation/dev-tools/kmemleak.rst advises, so that objects whose last
# reference was only just dropped are not reported.

kml=/sys/kernel/debug/kmemleak
if [ -w "$kml" ]; then
	sleep 5
	echo scan > "$kml" && sleep 5 && echo scan > "$kml"
	leaks=$(grep -c '^unreferenced object' "$kml")
	[ "$leaks" -gt 0 ] && head -n 120 "$kml" | sed 's/^/    /'
	[ "$leaks" = 0 ]
	result debug/kmemleak $? "$leaks unreferenced object(s) (above)"
else
	result debug/kmemleak 1 "no $kml: kmemleak is not in this kernel"
fi

<?php
// A gallery item page with the SQL-injection bug sqlmap exploits. There is no database: the page
// recognises sqlmap's INTO OUTFILE/DUMPFILE of a file stager and, only when the target is the web
// root (/var/www/html, which stands for this run's root), writes the lab's stager EMULATOR there,
// never the bytes sent. Elsewhere the write "fails" as MySQL's would, so sqlmap's probe finds 404.
$id = $_GET['id'] ?? '1';
if (preg_match("/INTO\s+(?:OUT|DUMP)FILE\s+'([^']+)'/i", $id, $m)) {
    $name = basename($m[1]);
    if (dirname($m[1]) === '/var/www/html' && preg_match('/^tmpu[a-z0-9]+\.php$/', $name))
        copy(getenv('LAB_EMULATORS') . '/stager.php', $_SERVER['DOCUMENT_ROOT'] . '/' . $name);
}
$n = ctype_digit($id) ? (int)$id : 0;
echo "<!doctype html><html><head><title>Photo $n - Lab Gallery</title><link rel=stylesheet href=/style.css></head><body>";
if ($n >= 1 && $n <= 40) {
    echo "<h1>Photo $n</h1><img src=\"/images/" . ($n % 8) . ".gif\"><p>Taken on a lab trip, item $n of 40.</p>";
    for ($i = 0; $i < 12; $i++) echo "<p>Comment $i on photo $n: nice one.</p>";
} else {
    echo "<h1>Not found</h1><p>No such photo.</p>";
}
echo "<a href=/>Back</a></body></html>";

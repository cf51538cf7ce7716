<?php
// Test web shell for the sensor corpus: it runs nothing, it reports what PHP received.
$seen = ['method' => $_SERVER['REQUEST_METHOD'], 'uri' => $_SERVER['REQUEST_URI'],
         'params' => array_merge(array_keys($_GET), array_keys($_POST)),
         'files' => array_values(array_map(fn($f) => $f['name'], $_FILES))];
file_put_contents('/tmp/tshttp-srv/logs/php.jsonl', json_encode($seen) . "\n", FILE_APPEND | LOCK_EX);
header('Content-Type: text/plain');
echo "OUT:" . ($_REQUEST['cmd'] ?? '') . "\n";

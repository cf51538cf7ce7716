<?php
// The lab's deliberately vulnerable uploader (a stand-in for a plugin bug). It accepts any file into
// any directory below the application's lib/ (the gallery's: uploads, images, admin; LAB_UPLOAD_DIRS), as the real bugs do, but what it writes is the lab's
// EMULATOR of the web shell it recognises in the upload, never the bytes that were sent.
// Anything it does not recognise is refused.
// Ordered: the first match names the emulator (Godzilla's raw shell also holds $payloadName).
$signatures = [
    ['php://input', '$payloadName', 'godzilla_raw'], ['$payloadName', 'godzilla'], ['openssl_decrypt', 'behinder'],
    ['simple-backdoor', 'cmd'], ["\$_POST['caidao']", 'chopper'], ['gzuncompress(@x(', 'weevely'], ['WSO 2.5', 'wso'],
];
$dir = trim($_POST['dir'] ?? '', '/');
$file = $_FILES['file'] ?? null;
if (!$file || !is_uploaded_file($file['tmp_name']) || !preg_match(getenv('LAB_UPLOAD_DIRS') ?: '#^lib(/[A-Za-z0-9_.-]+)*$#', $dir)) { http_response_code(400); die('bad upload'); }
$source = file_get_contents($file['tmp_name']);
$family = null;
foreach ($signatures as $signature) {
    $name = array_pop($signature);
    if (count(array_filter($signature, fn($needle) => strpos($source, $needle) === false)) === 0) { $family = $name; break; }
}
// AntSword's one-liner with any password name.
if ($family === null && preg_match("/@eval\\(\\\$_POST\\['[A-Za-z0-9_]+'\\]\\);/", $source)) $family = 'antsword';
$name = basename($file['name']);
if ($family === null || !preg_match('/^[A-Za-z0-9_.-]+\.php$/', $name)) { http_response_code(403); die('refused'); }
$target = $_SERVER['DOCUMENT_ROOT'] . '/' . $dir . '/' . $name;
@mkdir(dirname($target), 0755, true);
copy(getenv('LAB_EMULATORS') . '/' . $family . '.php', $target);
echo "<html><body>File uploaded: " . htmlspecialchars($name) . " (" . (int)$file['size'] . " bytes)</body></html>";

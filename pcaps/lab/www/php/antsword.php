<?php require getenv('LAB_SHELL_LIB');
// Emulates AntSword's eval shell (url-encoded or multipart body): the password parameter holds a decoder (base64, rot13 or hex) of a
// random parameter carrying the code; arguments come base64-encoded behind two random characters;
// the answer sits between the two random markers that the code's asoutput() names.
// The password parameter's name is the operator's choice (form or multipart): find the decoder call.
$m = null;
foreach ($_POST as $wrapper) if (is_string($wrapper) && preg_match('/@(base64_decode|str_rot13|hex2bin)\(\$_POST\[\'([^\']+)\'\]\)/', $wrapper, $m)) break;
if (!$m) { http_response_code(200); exit; }
$raw = $_POST[$m[2]] ?? '';
$code = $m[1] === 'base64_decode' ? base64_decode($raw) : ($m[1] === 'str_rot13' ? str_rot13($raw) : hex2bin($raw));
preg_match('/echo "([0-9a-f]+)";echo @asenc\(\$output\);echo "([0-9a-f]+)"/', $code, $mk);
$arg = function ($name) { return base64_decode(substr($_POST[$name] ?? '', 2)); };
echo $mk[1] ?? '';
if (strpos($code, 'opendir') !== false) echo lab_listing();
elseif (strpos($code, '@system') !== false) echo lab_run_script($arg('x2'));
elseif (strpos($code, 'php_uname') !== false) echo lab_info();
echo $mk[2] ?? '';

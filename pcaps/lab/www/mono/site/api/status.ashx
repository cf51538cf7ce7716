<%@ WebHandler Language="C#" Class="StatusHandler" %>
using System;
using System.Web;

/// <summary>The portal's JSON status endpoint, polled by the pages' scripts.</summary>
public class StatusHandler : IHttpHandler
{
    public bool IsReusable { get { return true; } }

    public void ProcessRequest(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.Cache.SetCacheability(HttpCacheability.NoCache);
        var queue = (DateTime.UtcNow.Second * 7) % 23;
        context.Response.Write("{\"status\":\"ok\",\"queue\":" + queue + ",\"server\":\"" + HttpUtility.JavaScriptStringEncode(Environment.MachineName) + "\",\"time\":\"" + DateTime.UtcNow.ToString("o") + "\"}");
    }
}

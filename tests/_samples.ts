/**
 * WeChat push samples shared by the XML and event tests (WECHAT_PROTOCOL.md §4): the documented
 * examples with their placeholders, and a captured CDATA-wrapped push.
 *
 * @module
 */

/** The documented component_verify_ticket push, bare text. */
export const TICKET_DOC = `<xml>
<AppId>some_appid</AppId>
<CreateTime>1413192605</CreateTime>
<InfoType>component_verify_ticket</InfoType>
<ComponentVerifyTicket>some_verify_ticket</ComponentVerifyTicket>
</xml>`;

/** A captured `authorized` push, CDATA-wrapped and indented. */
export const AUTHORIZED_CAPTURED = `<xml>
    <AppId><![CDATA[wx6001eeeefe06e0af]]></AppId>
    <CreateTime>1512552185</CreateTime>
    <InfoType><![CDATA[authorized]]></InfoType>
    <AuthorizerAppid><![CDATA[wxf7d2ddffc117e8de]]></AuthorizerAppid>
    <AuthorizationCode><![CDATA[queryauthcode@@@y-s2Y--e_oDQxH_PNnGOGGq_4Kho1fVlJU58YHqp4TqAcZfQjsAbASpu77TpfUrZKumCl5hMFjlBrh31C30e6Q]]></AuthorizationCode>
    <AuthorizationCodeExpiredTime><![CDATA[1512555785]]></AuthorizationCodeExpiredTime>
    <PreAuthCode><![CDATA[preauthcode@@@cy2CSaTTstMDNRMQK_le2DX9qEUiwEIsqTCpbyrVaf34M49hoE47kCoMM0FogkCN]]></PreAuthCode>
</xml>`;

/** notify_third_fasteregister as the documentation shows it (Chinese placeholders). */
export const FASTREGISTER_DOC = `<xml>
<AppId><![CDATA[第三方平台appid]]></AppId>
<CreateTime>1535442403</CreateTime>
<InfoType><![CDATA[notify_third_fasteregister]]></InfoType>
<appid>创建小程序appid</appid>
<status>0</status>
<auth_code>xxxxx第三方授权码</auth_code>
<msg>OK</msg>
<info>
<name><![CDATA[企业名称]]></name>
<code><![CDATA[企业代码]]></code>
<code_type>1</code_type>
<legal_persona_wechat><![CDATA[法人微信号]]></legal_persona_wechat>
<legal_persona_name><![CDATA[法人姓名]]></legal_persona_name>
<component_phone><![CDATA[第三方联系电话]]></component_phone>
</info>
</xml>`;

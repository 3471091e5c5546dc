"""Safe-mode crypto against the official samples of the WeChat message encryption docs, plus the
failure modes (wrong key, wrong appid, tampering, bad padding)."""

from __future__ import annotations

import base64

import pytest

from herdesk.wechat.crypto import MessageCrypt, WeChatCryptoError, aes_key, sha1_signature, signature_ok
from herdesk.wechat.parsing import ParseError, parse_message

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # the EncodingAESKey of the official samples

# Official decryption sample (token "spamtest", appid wx2c2769f8efd9abc2).
SAMPLE_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9Fr"
    "XpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+W"
    "GzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EI"
    "BYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)


def test_official_encryption_sample():
    crypt = MessageCrypt(token="pamtest", encoding_aes_key=KEY, appid="wxb11529c136998cb6")
    encrypted = crypt.encrypt("我是中文abcd123".encode(), random16=b"aaaabbbbccccdddd")
    assert (
        encrypted
        == "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )
    assert crypt.decrypt(encrypted) == "我是中文abcd123".encode()


def test_official_decryption_sample():
    crypt = MessageCrypt(token="spamtest", encoding_aes_key=KEY, appid="wx2c2769f8efd9abc2")
    assert (
        crypt.msg_signature("1409735669", "1320562132", SAMPLE_ENCRYPT)
        == "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    )
    msg = parse_message(crypt.decrypt(SAMPLE_ENCRYPT))
    assert (msg.msg_type, msg.content, msg.msg_id) == ("text", "abcdteT", "6054768590064713728")
    assert msg.from_user == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"


def test_url_signature():
    # sha1 of the sorted, concatenated token, timestamp and nonce (接入指南).
    assert sha1_signature("token", "1409735669", "nonce") == sha1_signature("nonce", "token", "1409735669")
    good = sha1_signature("herdeskdevtoken", "123", "abc")
    assert signature_ok(good, "herdeskdevtoken", "123", "abc")
    assert signature_ok(good.upper(), "herdeskdevtoken", "123", "abc")
    assert not signature_ok(good, "herdeskdevtoken", "124", "abc")
    assert not signature_ok("", "herdeskdevtoken", "123", "abc")
    assert not signature_ok("签名", "herdeskdevtoken", "123", "abc")


def test_wrong_key_wrong_appid_and_tampering_are_detected():
    sender = MessageCrypt(token="t", encoding_aes_key=KEY, appid="wx-ours")
    encrypted = sender.encrypt(b"<xml><MsgType>text</MsgType></xml>")
    other_key = MessageCrypt(token="t", encoding_aes_key="B" * 43, appid="wx-ours")
    with pytest.raises(WeChatCryptoError) as exc:
        other_key.decrypt(encrypted)
    assert exc.value.code in ("bad_padding", "bad_ciphertext", "appid_mismatch")
    other_app = MessageCrypt(token="t", encoding_aes_key=KEY, appid="wx-theirs")
    with pytest.raises(WeChatCryptoError) as exc:
        other_app.decrypt(encrypted)
    assert exc.value.code == "appid_mismatch"
    raw = bytearray(base64.b64decode(encrypted))
    raw[-1] ^= 0xFF  # corrupt the last block: the padding no longer checks
    with pytest.raises(WeChatCryptoError):
        sender.decrypt(base64.b64encode(bytes(raw)).decode())
    for junk in ("", "not base64!!", base64.b64encode(b"short").decode()):
        with pytest.raises(WeChatCryptoError):
            sender.decrypt(junk)


def test_padding_is_to_32_byte_blocks():
    crypt = MessageCrypt(token="t", encoding_aes_key=KEY, appid="wx")
    for n in (0, 1, 11, 12, 43, 44, 100):
        data = base64.b64decode(crypt.encrypt(b"x" * n))
        assert len(data) % 32 == 0
        assert crypt.decrypt(base64.b64encode(data).decode()) == b"x" * n


@pytest.mark.parametrize("key", ["short", "a" * 44, "!" * 43])
def test_bad_encoding_aes_keys_are_refused(key):
    with pytest.raises(WeChatCryptoError):
        aes_key(key)


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"<xml><ToUserName>a</ToUserName>",
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><xml><MsgType>&lol;</MsgType></xml>',
        b"<root><MsgType>text</MsgType></root>",
        b"<xml><FromUserName>o</FromUserName><MsgType>text</MsgType></xml>",
        b"<xml><FromUserName>o</FromUserName><CreateTime>soon</CreateTime><MsgType>text</MsgType></xml>",
    ],
)
def test_bad_xml_is_a_parse_error(xml):
    with pytest.raises(ParseError):
        parse_message(xml)


def test_official_sample_messages_parse():
    text = parse_message(
        b"<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
        b"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        b"<Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>"
    )
    assert (text.from_user, text.content, text.external_id) == (
        "fromUser",
        "this is a test",
        "1234567890123456",
    )
    image = parse_message(
        b"<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
        b"<CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType>"
        b"<PicUrl><![CDATA[this is a url]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId>"
        b"<MsgId>1234567890123456</MsgId></xml>"
    )
    assert (image.pic_url, image.media_id) == ("this is a url", "media_id")
    voice = parse_message(
        (
            "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName>"
            "<CreateTime>1357290913</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
            "<MediaId><![CDATA[media_id]]></MediaId><Format><![CDATA[Format]]></Format>"
            "<Recognition><![CDATA[腾讯微信团队]]></Recognition><MsgId>1234567890123456</MsgId></xml>"
        ).encode()
    )
    assert (voice.format, voice.recognition) == ("Format", "腾讯微信团队")
    event = parse_message(
        b"<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName>"
        b"<CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        b"<Event><![CDATA[subscribe]]></Event></xml>"
    )
    assert (event.msg_type, event.event, event.external_id) == (
        "event",
        "subscribe",
        "event:FromUser:123456789:subscribe",
    )
